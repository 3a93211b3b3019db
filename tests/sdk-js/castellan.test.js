// The AWS SDK for JavaScript v3 against a real `castellan serve`: the default credential
// chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL from the environment),
// fromTemporaryCredentials (AssumeRole of a role trusting the account) and a paginator.
//
//   cd tests/sdk-js && npm ci --no-audit --no-fund && node --test
//
// The binary is CASTELLAN_BIN, default <repo>/target/debug/castellan, as in tests/e2e.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";

const ACCOUNT = "123456789012";
const ROOT_KEY = "AKIAIOSFODNN7EXAMPLE";
const ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION = "us-east-1";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CASTELLAN_BIN || path.resolve(HERE, "../../target/debug/castellan");

let server; // the castellan child process
let endpoint; // http://127.0.0.1:PORT
let scratch; // empty AWS config files, so the machine's ~/.aws never leaks in

function startCastellan() {
  if (!existsSync(BIN)) {
    throw new Error(`castellan binary not found at ${BIN}: build it (cargo build) or set CASTELLAN_BIN`);
  }
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_") && !k.startsWith("CASTELLAN_")),
  );
  Object.assign(env, {
    CASTELLAN_ACCOUNT_ID: ACCOUNT,
    CASTELLAN_ROOT_ACCESS_KEY_ID: ROOT_KEY,
    CASTELLAN_ROOT_SECRET_ACCESS_KEY: ROOT_SECRET,
  });
  const child = spawn(BIN, ["serve", "--in-memory", "--listen", "127.0.0.1:0"], {
    env,
    cwd: scratch,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("castellan did not print its address within 30 s")), 30_000);
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`castellan exited (${code}) before listening`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ child, url: m[1] });
      }
    });
  });
}

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "castellan-sdk-js-"));
  writeFileSync(path.join(scratch, "aws-config"), "");
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  process.env.AWS_CONFIG_FILE = path.join(scratch, "aws-config");
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(scratch, "aws-config");
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  ({ child: server, url: endpoint } = await startCastellan());
});

after(() => {
  server?.kill("SIGTERM");
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// Clients with explicit configuration (the endpoint option, static credentials).
function clients(credentials = { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET }) {
  const config = { endpoint, region: REGION, credentials, maxAttempts: 1 };
  return { iam: new IAMClient(config), sts: new STSClient(config) };
}

const policy = (statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

test("the default credential chain: keys and endpoint from the environment", async () => {
  const vars = {
    AWS_ACCESS_KEY_ID: ROOT_KEY,
    AWS_SECRET_ACCESS_KEY: ROOT_SECRET,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
  };
  Object.assign(process.env, vars);
  try {
    // No credentials, endpoint or region in code: the SDK's defaults find them.
    const sts = new STSClient({});
    const iam = new IAMClient({});

    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, ACCOUNT);
    assert.equal(me.Arn, `arn:aws:iam::${ACCOUNT}:root`);

    const created = await iam.send(new CreateUserCommand({ UserName: "js-env-user", Path: "/js/" }));
    assert.equal(created.User.Arn, `arn:aws:iam::${ACCOUNT}:user/js/js-env-user`);
    assert.match(created.User.UserId, /^AIDA[A-Z0-9]{17}$/);
    assert.ok(created.User.CreateDate instanceof Date);

    const got = await iam.send(new GetUserCommand({ UserName: "js-env-user" }));
    assert.equal(got.User.UserId, created.User.UserId);

    // AWS errors come back as the SDK's modelled exception classes.
    await assert.rejects(iam.send(new GetUserCommand({ UserName: "js-no-such-user" })), (err) => {
      assert.ok(err instanceof NoSuchEntityException, `${err.name}: ${err.message}`);
      assert.equal(err.name, "NoSuchEntityException");
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(err.message, "The user with name js-no-such-user cannot be found.");
      return true;
    });
  } finally {
    for (const k of Object.keys(vars)) delete process.env[k];
  }
});

test("fromTemporaryCredentials: AssumeRole of a role that trusts the account", async () => {
  const { iam } = clients();
  const trust = policy([
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
  ]);
  const role = (await iam.send(new CreateRoleCommand({ RoleName: "js-reader", AssumeRolePolicyDocument: trust }))).Role;
  await iam.send(
    new AttachRolePolicyCommand({ RoleName: "js-reader", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }),
  );
  // The role may read IAM but not write it (IAMReadOnlyAccess), and an inline Deny for one user.
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: "js-reader",
      PolicyName: "no-root-secrets",
      PolicyDocument: policy([
        { Effect: "Deny", Action: "iam:GetUser", Resource: `arn:aws:iam::${ACCOUNT}:user/js-assumer` },
      ]),
    }),
  );

  // AWS does not let the root user assume roles: an IAM user allowed sts:AssumeRole does.
  await iam.send(new CreateUserCommand({ UserName: "js-assumer" }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: "js-assumer",
      PolicyName: "assume-reader",
      PolicyDocument: policy([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: role.Arn }]),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "js-assumer" }))).AccessKey;

  const credentials = fromTemporaryCredentials({
    masterCredentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
    params: { RoleArn: role.Arn, RoleSessionName: "sdk-js", DurationSeconds: 900 },
    clientConfig: { endpoint, region: REGION },
  });

  const temporary = await credentials();
  assert.match(temporary.accessKeyId, /^ASIA/);
  assert.ok(temporary.sessionToken);
  assert.ok(temporary.expiration instanceof Date);
  assert.ok(temporary.expiration.getTime() > Date.now() + 800_000);

  const asRole = clients(credentials);
  const me = await asRole.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/js-reader/sdk-js`);
  assert.equal(me.UserId, `${role.RoleId}:sdk-js`);

  // The role's policies decide: reads allowed, writes and the denied read refused.
  const got = await asRole.iam.send(new GetRoleCommand({ RoleName: "js-reader" }));
  assert.equal(got.Role.Arn, role.Arn);
  await assert.rejects(asRole.iam.send(new CreateUserCommand({ UserName: "js-not-allowed" })), (err) => {
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.$metadata.httpStatusCode, 403);
    assert.match(err.message, /assumed-role\/js-reader\/sdk-js is not authorized to perform: iam:CreateUser/);
    return true;
  });
  await assert.rejects(asRole.iam.send(new GetUserCommand({ UserName: "js-assumer" })), (err) => {
    assert.equal(err.name, "AccessDenied");
    assert.match(err.message, /with an explicit deny in an identity-based policy/);
    return true;
  });
});

test("paginateListUsers walks every page (MaxItems 2)", async () => {
  const { iam } = clients();
  const names = Array.from({ length: 7 }, (_, i) => `js-page-${i}`);
  for (const name of names) await iam.send(new CreateUserCommand({ UserName: name, Path: "/js-pages/" }));

  const pages = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: 2 }, { PathPrefix: "/js-pages/" })) {
    pages.push(page);
  }
  assert.deepEqual(
    pages.map((p) => p.Users.length),
    [2, 2, 2, 1],
  );
  assert.deepEqual(
    pages.map((p) => p.IsTruncated),
    [true, true, true, false],
  );
  assert.ok(pages.slice(0, -1).every((p) => typeof p.Marker === "string" && p.Marker.length > 0));
  assert.equal(pages.at(-1).Marker, undefined);
  assert.deepEqual(
    pages.flatMap((p) => p.Users.map((u) => u.UserName)),
    names,
  );

  // The same, one page at a time by hand, with MaxItems and Marker.
  const first = await iam.send(new ListUsersCommand({ PathPrefix: "/js-pages/", MaxItems: 5 }));
  assert.equal(first.Users.length, 5);
  assert.equal(first.IsTruncated, true);
  const rest = await iam.send(new ListUsersCommand({ PathPrefix: "/js-pages/", Marker: first.Marker }));
  assert.deepEqual(
    rest.Users.map((u) => u.UserName),
    names.slice(5),
  );
  assert.equal(rest.IsTruncated, false);
});
