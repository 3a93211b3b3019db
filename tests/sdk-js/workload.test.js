// The AWS SDK for JavaScript v3 as a workload: started by `castellan workload run` with no
// credentials of its own (workload-child.mjs), its default chain finds an instance profile's
// role through the metadata service (AWS_EC2_METADATA_SERVICE_ENDPOINT) and a task role
// through the container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI +
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), and keeps working across a refresh.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";

const ACCOUNT = "123456789012";
const ROOT_KEY = "AKIAIOSFODNN7EXAMPLE";
const ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CASTELLAN_BIN || path.resolve(HERE, "../../target/debug/castellan");

let server;
let endpoint;
let scratch;

before(async () => {
  assert.ok(existsSync(BIN), `castellan binary not found at ${BIN}: build it or set CASTELLAN_BIN`);
  scratch = mkdtempSync(path.join(tmpdir(), "castellan-sdk-js-workload-"));
  writeFileSync(path.join(scratch, "empty"), "");
  server = spawn(BIN, ["serve", "--in-memory", "--listen", "127.0.0.1:0"], {
    env: { PATH: process.env.PATH, CASTELLAN_ACCOUNT_ID: ACCOUNT, CASTELLAN_ROOT_ACCESS_KEY_ID: ROOT_KEY, CASTELLAN_ROOT_SECRET_ACCESS_KEY: ROOT_SECRET },
    cwd: scratch,
    stdio: ["ignore", "pipe", "inherit"],
  });
  endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("castellan did not start within 30 s")), 30_000);
    createInterface({ input: server.stdout }).on("line", (line) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
});

after(() => {
  server?.kill("SIGTERM");
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const trust = (service) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

async function runChild(args) {
  const env = {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: ROOT_KEY,
    AWS_SECRET_ACCESS_KEY: ROOT_SECRET,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: endpoint,
  };
  const cmd = ["workload", "run", ...args, "--duration-seconds", "60", "--", process.execPath, path.join(HERE, "workload-child.mjs")];
  const { stdout } = await promisify(execFile)(BIN, cmd, { env, cwd: HERE, timeout: 240_000 });
  return JSON.parse(stdout.trim().split("\n").pop());
}

test("instance profile and task role through castellan workload run, across a refresh", { timeout: 600_000 }, async () => {
  const iam = new IAMClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
  await iam.send(new CreateRoleCommand({ RoleName: "JsEc2App", AssumeRolePolicyDocument: trust("ec2.amazonaws.com") }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "JsEc2AppProfile" }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "JsEc2AppProfile", RoleName: "JsEc2App" }));
  await iam.send(new CreateRoleCommand({ RoleName: "JsTaskApp", AssumeRolePolicyDocument: trust("ecs-tasks.amazonaws.com") }));

  const [instance, task] = await Promise.all([runChild(["--instance-profile", "JsEc2AppProfile"]), runChild(["--task-role", "JsTaskApp"])]);
  assert.deepEqual(instance.leaked, []);
  assert.match(instance.arn, new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/JsEc2App/i-[0-9a-f]{17}$`));
  assert.ok(instance.keys >= 2, `worked across a refresh: ${instance.keys}`);
  assert.deepEqual(task.leaked, []);
  assert.match(task.arn, new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/JsTaskApp/[0-9a-f]{32}$`));
  assert.ok(task.keys >= 2, `worked across a refresh: ${task.keys}`);
});
