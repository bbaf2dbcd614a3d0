// A whole MLflow workflow against a Cairn server, driven by an independent MLflow client (the `mlflow` npm package).
// Usage: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 [MLFLOW_TRACKING_TOKEN=…] node workflow.js
//    or: MLFLOW_TRACKING_USERNAME=… MLFLOW_TRACKING_PASSWORD=… (HTTP Basic, as MLflow clients send them).
// Exits 0 after printing "workflow ok"; on the first failed step prints it and exits 1.
'use strict';
const assert = require('node:assert/strict');
const MLflow = require('mlflow');
const { MLflowBase } = require('mlflow/lib/mlflow');
const { ViewType } = require('mlflow/enum');

const endpoint = process.env.MLFLOW_TRACKING_URI;
if (!endpoint) {
  console.error('MLFLOW_TRACKING_URI is not set');
  process.exit(2);
}
const headers = {};
if (process.env.MLFLOW_TRACKING_TOKEN) {
  headers.Authorization = `Bearer ${process.env.MLFLOW_TRACKING_TOKEN}`;
} else if (process.env.MLFLOW_TRACKING_USERNAME) {
  const pair = `${process.env.MLFLOW_TRACKING_USERNAME}:${process.env.MLFLOW_TRACKING_PASSWORD ?? ''}`;
  headers.Authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
}

// The client logs every request body it posts; keep the output to the steps.
const log = console.log;
console.log = () => {};

const client = new MLflow({ endpoint, headers });
// The client's own request function for the endpoints it has no wrapper for (the model registry).
const api = new MLflowBase({ endpoint, headers });
const { Experiments, Runs, Metrics, Artifacts } = client;

const suffix = `${Date.now()}`;
let current = '';
async function step(name, body) {
  current = name;
  const result = await body();
  log(`ok   ${name}`);
  return result;
}

// Uploads and downloads go through the artifact proxy, as MLflow's own client does for mlflow-artifacts:/ URIs.
function proxyUrl(artifactUri, path) {
  assert.match(artifactUri, /^mlflow-artifacts:\//);
  const relative = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
  return `${endpoint}/api/2.0/mlflow-artifacts/artifacts/${relative}/${path}`;
}

async function main() {
  const experimentName = `e2e-fraud-${suffix}`;
  const experimentId = await step('create an experiment', async () => {
    const { experiment_id } = await Experiments.create({ name: experimentName });
    assert.ok(experiment_id);
    return experiment_id;
  });

  await step('get the experiment', async () => {
    const { experiment } = await Experiments.get({ experiment_id: experimentId });
    assert.equal(experiment.name, experimentName);
    assert.equal(experiment.lifecycle_stage, 'active');
    assert.match(experiment.artifact_location, /^mlflow-artifacts:\//);
  });

  const run = await step('start a run', async () => {
    const { run } = await Runs.create({
      experiment_id: experimentId,
      start_time: Date.now(),
      tags: [{ key: 'mlflow.runName', value: 'train-1' }, { key: 'team', value: 'risk' }],
    });
    assert.equal(run.info.status, 'RUNNING');
    assert.equal(run.info.experiment_id, experimentId);
    return run.info;
  });
  const runId = run.run_id;

  await step('log params and metrics one by one', async () => {
    await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' });
    for (let s = 0; s < 3; s++) {
      await Runs.logMetric({ run_id: runId, key: 'loss', value: 1 / (s + 1), timestamp: Date.now(), step: s });
    }
  });

  await step('log a batch', async () => {
    const now = Date.now();
    await Runs.logBatch({
      run_id: runId,
      metrics: [{ key: 'acc', value: 0.93, timestamp: now, step: 0 }, { key: 'auc', value: 0.97, timestamp: now, step: 0 }],
      params: [{ key: 'epochs', value: '10' }],
      tags: [{ key: 'stage', value: 'training' }],
    });
  });

  await step('read the metric history', async () => {
    const { metrics } = await Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    assert.equal(metrics.length, 3);
    assert.deepEqual(metrics.map((m) => Number(m.step)).sort(), [0, 1, 2]);
  });

  const modelBytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
  await step('upload an artifact through the proxy', async () => {
    const response = await fetch(proxyUrl(run.artifact_uri, 'model/model.bin'), { method: 'PUT', headers, body: modelBytes });
    assert.equal(response.status, 200, await response.text());
    const text = await fetch(proxyUrl(run.artifact_uri, 'model/MLmodel'), { method: 'PUT', headers, body: 'flavors: {}\n' });
    assert.equal(text.status, 200);
  });

  await step('list the run artifacts', async () => {
    const { files } = await Artifacts.list({ run_id: runId, path: 'model' });
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    assert.equal(Number(byPath['model/model.bin'].file_size), modelBytes.length);
    assert.equal(byPath['model/model.bin'].is_dir, false);
    assert.ok(byPath['model/MLmodel']);
  });

  await step('finish the run', async () => {
    await Runs.update({ run_id: runId, status: 'FINISHED', end_time: Date.now() });
    const { run: finished } = await Runs.get({ run_id: runId });
    assert.equal(finished.info.status, 'FINISHED');
    const params = Object.fromEntries(finished.data.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { lr: '0.01', epochs: '10' });
    const metrics = Object.fromEntries(finished.data.metrics.map((m) => [m.key, m.value]));
    assert.equal(metrics.acc, 0.93);
    assert.equal(metrics.loss, 1 / 3);
  });

  await step('search runs with filters', async () => {
    const hit = await Runs.search({
      experiment_ids: [experimentId],
      filter: "metrics.acc > 0.9 and params.lr = '0.01' and tags.team = 'risk'",
      run_view_type: ViewType.ACTIVE_ONLY,
    });
    assert.deepEqual(hit.runs.map((r) => r.info.run_id), [runId]);
    const miss = await Runs.search({ experiment_ids: [experimentId], filter: 'metrics.acc > 0.95' });
    assert.equal((miss.runs ?? []).length, 0);
  });

  const modelName = `e2e.fraud.detector_${suffix}`;
  await step('register a model', async () => {
    const { registered_model } = await api.req('post', 'registered-models/create', { name: modelName, description: 'fraud scores' });
    assert.equal(registered_model.name, modelName);
  });

  const version = await step('create a version from the run', async () => {
    const { model_version } = await api.req('post', 'model-versions/create', { name: modelName, source: `runs:/${runId}/model`, run_id: runId });
    assert.equal(model_version.version, '1');
    assert.equal(model_version.run_id, runId);
    return model_version.version;
  });

  await step('point an alias at it', async () => {
    await api.req('post', 'registered-models/alias', { name: modelName, alias: 'champion', version });
    const { model_version } = await api.req('get', 'registered-models/alias', { name: modelName, alias: 'champion' });
    assert.equal(model_version.version, version);
  });

  await step('move it to Production', async () => {
    const { model_version } = await api.req('post', 'model-versions/transition-stage', {
      name: modelName, version, stage: 'Production', archive_existing_versions: true,
    });
    assert.equal(model_version.current_stage, 'Production');
  });

  await step('search the registry with filters', async () => {
    const models = await api.req('get', 'registered-models/search', { filter: `name LIKE 'e2e.fraud.%${suffix}'` });
    assert.deepEqual(models.registered_models.map((m) => m.name), [modelName]);
    const versions = await api.req('get', 'model-versions/search', { filter: `name = '${modelName}' and run_id = '${runId}'` });
    assert.deepEqual(versions.model_versions.map((v) => v.current_stage), ['Production']);
  });

  await step('download the registered files', async () => {
    const { artifact_uri } = await api.req('get', 'model-versions/get-download-uri', { name: modelName, version });
    assert.equal(artifact_uri, `${run.artifact_uri}/model`);
    const response = await fetch(`${proxyUrl(run.artifact_uri, 'model')}/model.bin`, { headers });
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(modelBytes));
  });

  await step('the same version on the native API', async () => {
    const response = await fetch(`${endpoint}/api/v1/models/${modelName}/versions/${version}`, { headers });
    assert.equal(response.status, 200);
    const native = await response.json();
    assert.equal(native.stage, 'Production');
    assert.equal(native.run_id, runId);
  });

  log('workflow ok');
}

main().catch((error) => {
  log(`FAIL ${current}: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
