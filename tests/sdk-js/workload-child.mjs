// The workload run by workload.test.js under `castellan workload run`: the SDK's default
// credential chain (no credentials in the environment) finds the role's credentials through
// the metadata service or the container endpoint. Calls GetCallerIdentity until it has used a
// second set of credentials and the first has expired (60-second credentials), then prints
// {"arn", "keys", "leaked"} as one JSON line.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const leaked = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"].filter((k) => k in process.env);
const sts = new STSClient({});
const started = Date.now();
const keys = new Set();
let arn = "";
const elapsed = () => (Date.now() - started) / 1000;
while (elapsed() < 150 && (keys.size < 2 || elapsed() < 65)) {
  arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  keys.add((await sts.config.credentials()).accessKeyId);
  await new Promise((r) => setTimeout(r, 3000));
}
console.log(JSON.stringify({ arn, keys: keys.size, leaked }));
