using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Fixtures;

/// <summary>
/// An MLflow tracking database as MLflow's own migrations leave it (MLflow 2.x): the tables, columns and keys of its
/// published schema, holding a small but complete installation — two experiments, runs with params, metric history
/// (a NaN among it), tags and a dataset input, and a registry with tags, versions in several stages and an alias.
/// </summary>
public static class MlflowDatabase
{
    public const string RunA = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    public const string RunB = "1a2b3c4d5e6f708192a3b4c5d6e7f809";

    public static void Create(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Schema + Rows;
        command.ExecuteNonQuery();
    }

    private const string Schema = """
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
        CREATE TABLE experiments (
            experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32),
            creation_time BIGINT, last_update_time BIGINT,
            CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name),
            CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
        CREATE TABLE experiment_tags (
            key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id INTEGER NOT NULL,
            CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
        CREATE TABLE runs (
            run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),
            user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),
            artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT,
            CONSTRAINT run_pk PRIMARY KEY (run_uuid), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
            CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
            CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
            CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')));
        CREATE TABLE params (
            key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL,
            CONSTRAINT param_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
        CREATE TABLE tags (
            key VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL,
            CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
        CREATE TABLE metrics (
            key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL,
            step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
            CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
            FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
        CREATE TABLE latest_metrics (
            key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL,
            run_uuid VARCHAR(32) NOT NULL,
            CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
        CREATE TABLE datasets (
            dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL, digest VARCHAR(36) NOT NULL,
            dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL, dataset_schema TEXT, dataset_profile TEXT,
            CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest),
            CONSTRAINT fk_datasets_experiment_id_experiments FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE);
        CREATE TABLE inputs (
            input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL, source_id VARCHAR(36) NOT NULL,
            destination_type VARCHAR(36) NOT NULL, destination_id VARCHAR(36) NOT NULL,
            CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id));
        CREATE TABLE input_tags (
            input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value VARCHAR(500) NOT NULL,
            CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name));
        CREATE TABLE registered_models (
            name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
            CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name));
        CREATE TABLE registered_model_tags (
            key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL,
            CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
        CREATE TABLE model_versions (
            name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
            user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20),
            status_message VARCHAR(500), run_link VARCHAR(500), storage_location VARCHAR(500),
            CONSTRAINT model_version_pk PRIMARY KEY (name, version), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
        CREATE TABLE model_version_tags (
            key VARCHAR(250) NOT NULL, value TEXT, name VARCHAR(256) NOT NULL, version INTEGER NOT NULL,
            CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version),
            FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE);
        CREATE TABLE registered_model_aliases (
            alias VARCHAR(256) NOT NULL, version INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
            CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias),
            CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE);

        """;

    private const string Rows = $$"""
        INSERT INTO alembic_version VALUES ('0584bdc529eb');
        INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 1690000000000, 1690000000000);
        INSERT INTO experiments VALUES (3, 'fraud-detection', 'mlflow-artifacts:/3', 'active', 1690000100000, 1690000200000);
        INSERT INTO experiments VALUES (4, 'old-churn', 'mlflow-artifacts:/4', 'deleted', 1690000300000, 1690000400000);
        INSERT INTO experiment_tags VALUES ('team', 'risk', 3);
        INSERT INTO runs VALUES ('{{RunA}}', 'clever-fox-12', 'LOCAL', 'train.py', NULL, 'ana', 'FINISHED', 1690001000000, 1690001060000, NULL, 'active', 'mlflow-artifacts:/3/{{RunA}}/artifacts', 3, NULL);
        INSERT INTO runs VALUES ('{{RunB}}', 'quiet-owl-7', 'LOCAL', 'train.py', NULL, 'ben', 'FAILED', 1690002000000, 1690002030000, NULL, 'deleted', 'mlflow-artifacts:/3/{{RunB}}/artifacts', 3, 1690003000000);
        INSERT INTO params VALUES ('lr', '0.01', '{{RunA}}'), ('epochs', '10', '{{RunA}}'), ('lr', '0.1', '{{RunB}}');
        INSERT INTO tags VALUES ('mlflow.runName', 'clever-fox-12', '{{RunA}}'), ('mlflow.user', 'ana', '{{RunA}}'), ('mlflow.runName', 'quiet-owl-7', '{{RunB}}');
        INSERT INTO metrics VALUES
            ('loss', 0.9, 1690001001000, '{{RunA}}', 0, 0), ('loss', 0.5, 1690001002000, '{{RunA}}', 1, 0), ('loss', 0.25, 1690001003000, '{{RunA}}', 2, 0),
            ('acc', 0.93, 1690001003000, '{{RunA}}', 2, 0), ('odd', 0, 1690001003000, '{{RunA}}', 0, 1), ('loss', 2.5, 1690002001000, '{{RunB}}', 0, 0);
        INSERT INTO latest_metrics VALUES
            ('loss', 0.25, 1690001003000, 2, 0, '{{RunA}}'), ('acc', 0.93, 1690001003000, 2, 0, '{{RunA}}'), ('odd', 0, 1690001003000, 0, 1, '{{RunA}}'),
            ('loss', 2.5, 1690002001000, 0, 0, '{{RunB}}');
        INSERT INTO datasets VALUES ('d0000000-0000-0000-0000-000000000001', 3, 'claims', '5f1a2b3c', 'local', '{"uri": "/data/claims.parquet"}', '{"mlflow_colspec": []}', '{"num_rows": 1000}');
        INSERT INTO inputs VALUES ('i0000000-0000-0000-0000-000000000001', 'DATASET', 'd0000000-0000-0000-0000-000000000001', 'RUN', '{{RunA}}');
        INSERT INTO input_tags VALUES ('i0000000-0000-0000-0000-000000000001', 'mlflow.data.context', 'training');
        INSERT INTO registered_models VALUES ('risk.fraud_scorer', 1690005000000, 1690006000000, 'scores claims');
        INSERT INTO registered_models VALUES ('Churn Model', 1690005000000, 1690005000000, 'a name with a space');
        INSERT INTO registered_model_tags VALUES ('owner', 'risk-team', 'risk.fraud_scorer');
        INSERT INTO model_versions VALUES ('risk.fraud_scorer', 1, 1690005100000, 1690005900000, 'first', 'ana', 'Archived', 'runs:/{{RunB}}/model', '{{RunB}}', 'READY', NULL, NULL, 'mlflow-artifacts:/3/{{RunB}}/artifacts/model');
        INSERT INTO model_versions VALUES ('risk.fraud_scorer', 3, 1690005200000, 1690006000000, 'better', 'ana', 'Production', 'runs:/{{RunA}}/model', '{{RunA}}', 'READY', NULL, 'https://ci.example.com/runs/42', 'mlflow-artifacts:/3/{{RunA}}/artifacts/model');
        INSERT INTO model_versions VALUES ('Churn Model', 1, 1690005100000, 1690005100000, NULL, 'ben', 'None', 's3://bucket/churn', NULL, 'READY', NULL, NULL, NULL);
        INSERT INTO model_version_tags VALUES ('validated', 'yes', 'risk.fraud_scorer', 3);
        INSERT INTO registered_model_aliases VALUES ('champion', 3, 'risk.fraud_scorer');
        """;
}
