#!/usr/bin/env python3
"""Writes data/service-linked-roles.json: one row per AWS service principal that has a
service-linked role, with the role's name, the AWS managed policy AWS attaches to it, and
whether CreateServiceLinkedRole accepts a CustomSuffix for it.

Where the facts come from, per row ("evidence"):
- "named-by:POLICY": an AWS managed policy (data/aws-managed-policies.jsonl.gz) grants
  iam:CreateServiceLinkedRole on arn:aws:iam::*:role/aws-service-role/PRINCIPAL/ROLE, which
  gives the principal and the role name; the attached policy is the one under
  /aws-service-role/ named after the role (checked to exist);
- "listed": added by hand from the service's service-linked-role documentation (linked from
  the IAM User Guide's "AWS services that work with IAM" table, the row's "source"), the
  attached policy checked to exist under /aws-service-role/ in the same data.
Run: python3 scripts/service-linked-roles.py > data/service-linked-roles.json
"""
import collections, gzip, json, re, sys

GUIDE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html"
pols = [json.loads(l) for l in gzip.open("data/aws-managed-policies.jsonl.gz", "rt")]
slr_policies = {p["PolicyName"] for p in pols if p["Path"] == "/aws-service-role/"}

def items(x):
    return x if isinstance(x, list) else [x]

named = collections.defaultdict(set)
named_by = collections.defaultdict(set)
for p in pols:
    for s in items(p["Document"].get("Statement", [])):
        if "iam:createservicelinkedrole" not in [a.lower() for a in items(s.get("Action", []))]:
            continue
        for r in items(s.get("Resource", [])):
            m = re.match(r"arn:aws:iam::\*:role/aws-service-role/([^/*]+)/([A-Za-z0-9_+=,.@-]+)(\*?)$", r)
            if m:
                named[m.group(1)].add((m.group(2), m.group(3) == "*"))
                named_by[m.group(1)].add(p["PolicyName"])

# Principals whose only evidence is a wildcard shared with another service's role: the
# wildcard does not say the role's name.
AMBIGUOUS = {"maintenance.elasticbeanstalk.amazonaws.com", "managedupdates.elasticbeanstalk.amazonaws.com",
             "redshift-data.amazonaws.com", "channels.lexv2.amazonaws.com"}
# Services that accept a CustomSuffix (their service-linked-role documentation).
SUFFIX = {"autoscaling.amazonaws.com", "lexv2.amazonaws.com", "connect.amazonaws.com"}
# Principal -> (role name, attached policy name), from each service's documentation.
LISTED = {
    "application-insights.amazonaws.com": ("AWSServiceRoleForApplicationInsights", "CloudwatchApplicationInsightsServiceLinkedRolePolicy"),
    "appstream.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_AppStreamFleet", "AWSApplicationAutoscalingAppStreamFleetPolicy"),
    "cassandra-streams.amazonaws.com": ("AWSServiceRoleForAmazonKeyspacesCDC", "KeyspacesCDCServiceRolePolicy"),
    "cassandra.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_CassandraTable", "AWSApplicationAutoscalingCassandraTablePolicy"),
    "channels.lex.amazonaws.com": ("AWSServiceRoleForLexChannels", "LexChannelPolicy"),
    "delivery.logs.amazonaws.com": ("AWSServiceRoleForLogDelivery", "AWSServiceRoleForLogDeliveryPolicy"),
    "ec2.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest", "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy"),
    "ecs.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_ECSService", "AWSApplicationAutoscalingECSServicePolicy"),
    "dynamodb.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", "AWSApplicationAutoscalingDynamoDBTablePolicy"),
    "rds.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_RDSCluster", "AWSApplicationAutoscalingRDSClusterPolicy"),
    "sagemaker.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", "AWSApplicationAutoscalingSageMakerEndpointPolicy"),
    "autoscaling-plans.amazonaws.com": ("AWSServiceRoleForAutoScalingPlans_EC2AutoScaling", "AWSAutoScalingPlansEC2AutoScalingPolicy"),
    "elasticmapreduce.amazonaws.com": ("AWSServiceRoleForEMRCleanup", "AmazonEMRCleanupPolicy"),
    "es.amazonaws.com": ("AWSServiceRoleForAmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy"),
    "globalaccelerator.amazonaws.com": ("AWSServiceRoleForGlobalAccelerator", "AWSGlobalAcceleratorSLRPolicy"),
    "internetmonitor.amazonaws.com": ("AWSServiceRoleForInternetMonitor", "CloudWatchInternetMonitorServiceRolePolicy"),
    "iotmanagedintegrations.amazonaws.com": ("AWSServiceRoleForIoTManagedIntegrations", "AWSIoTManagedIntegrationsRolePolicy"),
    "justintimeaccess.ssm.amazonaws.com": ("AWSServiceRoleForSystemsManagerJustInTimeAccess", "AWSSystemsManagerJustInTimeAccessServicePolicy"),
    "lex.amazonaws.com": ("AWSServiceRoleForLexBots", "LexBotPolicy"),
    "lexv2.amazonaws.com": ("AWSServiceRoleForLexV2Bots", "AmazonLexV2BotPolicy"),
    "lightsail.amazonaws.com": ("AWSServiceRoleForLightsail", "LightsailExportAccess"),
    "codestar-notifications.amazonaws.com": ("AWSServiceRoleForCodeStarNotifications", "AWSCodeStarNotificationsServiceRolePolicy"),
    "notifications.amazonaws.com": ("AWSServiceRoleForAwsUserNotifications", "AWSUserNotificationsServiceLinkedRolePolicy"),
    "neptune-graph.amazonaws.com": ("AWSServiceRoleForNeptuneGraph", "AWSServiceRoleForNeptuneGraphPolicy"),
    "notifications.ssm.amazonaws.com": ("AWSServiceRoleForSystemsManagerNotifications", "AWSSystemsManagerNotificationsServicePolicy"),
    "opensearchservice.amazonaws.com": ("AWSServiceRoleForAmazonOpenSearchService", "AmazonOpenSearchServiceRolePolicy"),
    "osis.amazonaws.com": ("AWSServiceRoleForAmazonOpenSearchIngestionService", "AmazonOpenSearchIngestionServiceRolePolicy"),
    "private-marketplace.marketplace.amazonaws.com": ("AWSServiceRoleForPrivateMarketplaceAdmin", "AWSServiceRoleForPrivateMarketplaceAdminPolicy"),
    "redshift.amazonaws.com": ("AWSServiceRoleForRedshift", "AmazonRedshiftServiceLinkedRolePolicy"),
    "replication.lexv2.amazonaws.com": ("AWSServiceRoleForLexV2Replication", "AmazonLexReplicationPolicy"),
    "rum.amazonaws.com": ("AWSServiceRoleForRealUserMonitoring", "AmazonCloudWatchRUMServiceRolePolicy"),
    "schemas.amazonaws.com": ("AWSServiceRoleForSchemas", "AmazonEventBridgeSchemasServiceRolePolicy"),
    "securitylake.amazonaws.com": ("AWSServiceRoleForSecurityLake", "SecurityLakeServiceLinkedRole"),
    "triage.security-ir.amazonaws.com": ("AWSServiceRoleForSecurityIncidentResponse_Triage", "AWSSecurityIncidentResponseTriageServiceRolePolicy"),
    "organizations.amazonaws.com": ("AWSServiceRoleForOrganizations", "AWSOrganizationsServiceTrustPolicy"),
    "guardduty.amazonaws.com": ("AWSServiceRoleForAmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy"),
    "securityhub.amazonaws.com": ("AWSServiceRoleForSecurityHub", "AWSSecurityHubServiceRolePolicy"),
    "support.amazonaws.com": ("AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy"),
    "trustedadvisor.amazonaws.com": ("AWSServiceRoleForTrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy"),
    "cloudtrail.amazonaws.com": ("AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy"),
    "backup.amazonaws.com": ("AWSServiceRoleForBackup", "AWSBackupServiceLinkedRolePolicyForBackup"),
    "batch.amazonaws.com": ("AWSServiceRoleForBatch", "BatchServiceRolePolicy"),
    "elasticfilesystem.amazonaws.com": ("AWSServiceRoleForAmazonElasticFileSystem", "AmazonElasticFileSystemServiceRolePolicy"),
    "eks-nodegroup.amazonaws.com": ("AWSServiceRoleForAmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup"),
    "eks-fargate.amazonaws.com": ("AWSServiceRoleForAmazonEKSForFargate", "AmazonEKSForFargateServiceRolePolicy"),
    "eks-connector.amazonaws.com": ("AWSServiceRoleForAmazonEKSConnector", "AmazonEKSConnectorServiceRolePolicy"),
    "fsx.amazonaws.com": ("AWSServiceRoleForAmazonFSx", "AmazonFSxServiceRolePolicy"),
    "transitgateway.amazonaws.com": ("AWSServiceRoleForVPCTransitGateway", "AWSVPCTransitGatewayServiceRolePolicy"),
    "access-analyzer.amazonaws.com": ("AWSServiceRoleForAccessAnalyzer", "AccessAnalyzerServiceRolePolicy"),
    "compute-optimizer.amazonaws.com": ("AWSServiceRoleForComputeOptimizer", "ComputeOptimizerServiceRolePolicy"),
    "cloud9.amazonaws.com": ("AWSServiceRoleForAWSCloud9", "AWSCloud9ServiceRolePolicy"),
    "ram.amazonaws.com": ("AWSServiceRoleForResourceAccessManager", "AWSResourceAccessManagerServiceRolePolicy"),
    "inspector2.amazonaws.com": ("AWSServiceRoleForAmazonInspector2", "AmazonInspector2ServiceRolePolicy"),
    "ec2fleet.amazonaws.com": ("AWSServiceRoleForEC2Fleet", "AWSEC2FleetServiceRolePolicy"),
    "spotfleet.amazonaws.com": ("AWSServiceRoleForEC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy"),
    "ops.apigateway.amazonaws.com": ("AWSServiceRoleForAPIGateway", "APIGatewayServiceRolePolicy"),
    "appsync.amazonaws.com": ("AWSServiceRoleForAppSync", "AWSAppSyncServiceRolePolicy"),
    "mrk.kms.amazonaws.com": ("AWSServiceRoleForKeyManagementServiceMultiRegionKeys", "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy"),
    "cks.kms.amazonaws.com": ("AWSServiceRoleForKeyManagementServiceCustomKeyStores", "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"),
    "mq.amazonaws.com": ("AWSServiceRoleForAmazonMQ", "AmazonMQServiceRolePolicy"),
    "connect.amazonaws.com": ("AWSServiceRoleForAmazonConnect", "AmazonConnectServiceLinkedRolePolicy"),
    "grafana.amazonaws.com": ("AWSServiceRoleForAmazonGrafana", "AmazonGrafanaServiceLinkedRolePolicy"),
    "fis.amazonaws.com": ("AWSServiceRoleForFIS", "AmazonFISServiceRolePolicy"),
    "dms.amazonaws.com": ("AWSServiceRoleForDMSServerless", "AWSDMSServerlessServiceRolePolicy"),
    "dms-fleet-advisor.amazonaws.com": ("AWSServiceRoleForDMSFleetAdvisor", "AWSDMSFleetAdvisorServiceRolePolicy"),
    "email.cognito-idp.amazonaws.com": ("AWSServiceRoleForAmazonCognitoIdpEmailService", "AmazonCognitoIdpEmailServiceRolePolicy"),
    "ecr.amazonaws.com": ("AWSServiceRoleForECRTemplate", "ECRTemplateServiceRolePolicy"),
    "ec2-instance-connect.amazonaws.com": ("AWSServiceRoleForEc2InstanceConnect", "Ec2InstanceConnectEndpoint"),
    "kafkaconnect.amazonaws.com": ("AWSServiceRoleForKafkaConnect", "KafkaConnectServiceRolePolicy"),
    "m2.amazonaws.com": ("AWSServiceRoleForAWSM2", "AWSM2ServicePolicy"),
    "emrwal.amazonaws.com": ("AWSServiceRoleForEMRWAL", "EMRDescribeClusterPolicyForEMRWAL"),
    "accountdiscovery.ssm.amazonaws.com": ("AWSServiceRoleForAmazonSSM_AccountDiscovery", "AWSSystemsManagerAccountDiscoveryServicePolicy"),
    "opsdatasync.ssm.amazonaws.com": ("AWSServiceRoleForSystemsManagerOpsDataSync", "AWSSystemsManagerOpsDataSyncServiceRolePolicy"),
    "detective.amazonaws.com": ("AWSServiceRoleForDetective", "AmazonDetectiveServiceLinkedRolePolicy"),
    "maintenance.elasticbeanstalk.amazonaws.com": ("AWSServiceRoleForElasticBeanstalkMaintenance", "AWSElasticBeanstalkMaintenance"),
    "managedupdates.elasticbeanstalk.amazonaws.com": ("AWSServiceRoleForElasticBeanstalkManagedUpdates", "AWSElasticBeanstalkManagedUpdatesServiceRolePolicy"),
}

rows = {}
for principal, names in named.items():
    if principal in AMBIGUOUS or principal in LISTED:
        continue
    exact = sorted(n for n, wild in names if not wild) or sorted(n for n, _ in names)
    role = exact[0]
    stem = role.removeprefix("AWSServiceRoleFor")
    patterns = [role, f"{stem}ServiceRolePolicy", f"{stem}ServiceLinkedRolePolicy", f"AWS{stem}ServiceRolePolicy",
                f"Amazon{stem}ServiceRolePolicy", f"AWS{stem}ServiceLinkedRolePolicy"]
    policy = next((c for c in patterns if c in slr_policies), None)
    if policy is None:
        continue
    rows[principal] = (role, policy, "named-by:" + sorted(named_by[principal])[0])
for principal, (role, policy) in LISTED.items():
    if policy not in slr_policies:
        sys.exit(f"{principal}: {policy} is not an AWS managed policy under /aws-service-role/")
    rows[principal] = (role, policy, "listed")
out = [
    {
        "service_principal": p,
        "role_name": role,
        "policy_arn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}",
        "custom_suffix": p in SUFFIX,
        "source": GUIDE,
        "evidence": evidence,
    }
    for p, (role, policy, evidence) in sorted(rows.items())
]
json.dump(out, sys.stdout, indent=1)
print()
