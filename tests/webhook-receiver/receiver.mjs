// A webhook receiver for Cairn's real-process tests (tests/Cairn.IntegrationTests/Webhooks/NodeReceiver.cs).
//
// Every POST is a delivery: it is checked with the `standardwebhooks` package (Standard Webhooks' reference
// verifier) and, separately, against MLflow's documented scheme implemented here with node:crypto — both written
// without looking at Cairn's signing code — and recorded. The tests read what arrived and tell the receiver how to
// answer:
//
//   GET  /deliveries            {"deliveries":[{id, path, headers, body, standard_verified, standard_error,
//                                 mlflow_verified, mlflow_error, received_at, answered}]}
//   POST /behaviour             one rule or a list, used in order: {"status":500,"times":2}, {"status":429,
//                                 "retry_after":"2","times":1}, {"delay_ms":5000,"times":1}; afterwards 200
//   POST /secret                {"secret":"..."} or {"secrets":["new","old"]}: any one verifying is enough
//   POST /reset                 forgets deliveries and rules
//
// Usage: node receiver.mjs [port] [secret]   (port 0 or none: a free one; secret also from RECEIVER_SECRET).
// When listening it prints one JSON line to stdout: {"port":N}.
import http from "node:http";
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

const port = Number.parseInt(process.argv[2] ?? "0", 10) || 0;
let secrets = [process.argv[3] ?? process.env.RECEIVER_SECRET].filter((s) => s);
let rules = [];
let deliveries = [];

const control = { "/deliveries": true, "/behaviour": true, "/secret": true, "/reset": true };

// Standard Webhooks with the secret's raw bytes, as Cairn and MLflow use it (no whsec_ base64 key). The package's
// "raw" format reads a string one UTF-16 unit per byte, so the UTF-8 bytes are handed over as a Uint8Array.
function verifyStandard(body, headers) {
  if (secrets.length === 0) return [false, "no secret configured"];
  let error = "";
  for (const secret of secrets) {
    try {
      new Webhook(Buffer.from(secret, "utf8"), { format: "raw" }).verify(body, headers);
      return [true, null];
    } catch (e) {
      error = String(e.message ?? e);
    }
  }
  return [false, error];
}

// MLflow's scheme, from its webhook documentation: X-MLflow-Signature is "v1," and the base64 HMAC-SHA256, keyed by the
// secret's UTF-8 bytes, of "{X-MLflow-Delivery-Id}.{X-MLflow-Timestamp}.{raw body}". Several space-separated
// signatures may be sent while a secret rotates; any one matching verifies.
function verifyMlflow(body, headers) {
  const id = headers["x-mlflow-delivery-id"];
  const timestamp = headers["x-mlflow-timestamp"];
  const signature = headers["x-mlflow-signature"];
  if (!id || !timestamp || !signature) return [false, "missing X-MLflow-Delivery-Id, X-MLflow-Timestamp or X-MLflow-Signature"];
  if (secrets.length === 0) return [false, "no secret configured"];
  const given = signature.split(" ").filter((s) => s.startsWith("v1,")).map((s) => Buffer.from(s.slice(3), "utf8"));
  for (const secret of secrets) {
    const expected = Buffer.from(
      crypto.createHmac("sha256", Buffer.from(secret, "utf8")).update(`${id}.${timestamp}.`).update(body).digest("base64"), "utf8");
    if (given.some((g) => g.length === expected.length && crypto.timingSafeEqual(g, expected))) return [true, null];
  }
  return [false, "no matching v1 signature"];
}

function json(response, status, value) {
  const text = JSON.stringify(value);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function nextRule() {
  while (rules.length > 0 && (rules[0].times ?? 1) <= 0) rules.shift();
  if (rules.length === 0) return null;
  const rule = rules[0];
  rule.times = (rule.times ?? 1) - 1;
  return rule;
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (c) => chunks.push(c));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const path = new URL(request.url, "http://receiver").pathname;
    if (request.method === "GET" && path === "/deliveries") return json(response, 200, { deliveries });
    if (request.method === "POST" && control[path]) {
      const input = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
      if (path === "/behaviour") rules = (Array.isArray(input) ? input : [input]).map((r) => ({ ...r }));
      if (path === "/secret") secrets = (input.secrets ?? [input.secret]).filter((s) => s);
      if (path === "/reset") [deliveries, rules] = [[], []];
      return json(response, 200, { ok: true });
    }
    if (request.method !== "POST") return json(response, 405, { error: "deliveries are POSTs" });

    const text = body.toString("utf8");
    const [standardVerified, standardError] = verifyStandard(text, request.headers);
    const [mlflowVerified, mlflowError] = verifyMlflow(body, request.headers);
    const rule = nextRule();
    const delivery = {
      id: request.headers["x-mlflow-delivery-id"] ?? request.headers["webhook-id"] ?? null,
      path,
      headers: request.headers,
      body: text,
      standard_verified: standardVerified,
      standard_error: standardError,
      mlflow_verified: mlflowVerified,
      mlflow_error: mlflowError,
      received_at: Date.now(),
      answered: rule?.status ?? 200,
    };
    deliveries.push(delivery);
    const answer = () => {
      if (response.destroyed) return;
      const headers = { "content-type": "application/json" };
      if (rule?.retry_after !== undefined) headers["retry-after"] = String(rule.retry_after);
      response.writeHead(delivery.answered, headers);
      response.end(JSON.stringify({ received: delivery.id }));
    };
    if (rule?.delay_ms) setTimeout(answer, rule.delay_ms);
    else answer();
  });
});

server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
