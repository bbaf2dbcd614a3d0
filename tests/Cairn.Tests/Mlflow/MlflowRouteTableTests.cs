using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>How Cairn answers a route of MLflow's server.</summary>
public enum RouteAnswer
{
    /// <summary>Served: a real answer, or an MLflow-shaped error about the request (never ENDPOINT_NOT_FOUND, 405 or 501).</summary>
    Served,

    /// <summary>A feature Cairn does not store: 501 NOT_IMPLEMENTED in MLflow's shape.</summary>
    NotImplemented,

    /// <summary>A route MLflow's open-source server does not serve either (Databricks-only, MLflow's UI files): 404 ENDPOINT_NOT_FOUND.</summary>
    EndpointNotFound,
}

/// <summary>Under which prefixes MLflow serves a route.</summary>
public enum RouteMount
{
    /// <summary>A proto endpoint: <c>/api/{v}.0</c> and <c>/ajax-api/{v}.0</c>.</summary>
    ApiAndAjax,

    /// <summary>Only <c>/ajax-api/2.0</c> (routes mlflow/server/__init__.py adds for MLflow's web UI).</summary>
    AjaxOnly,

    /// <summary>The path as written, with no prefix.</summary>
    Bare,
}

/// <summary>One route of MLflow 3.5's server: method, path template (as MLflow's protos write it, under the prefix), API version.</summary>
public sealed record MlflowRoute(string Method, string Path, int Version, RouteMount Mount, RouteAnswer Answer)
{
    public string Key => $"{Method} v{Version} {Path}";

    /// <summary>The request paths that reach the route, with sample values in its parameters.</summary>
    public IEnumerable<string> Urls()
    {
        var path = Path.Replace("{**artifact_path}", "probe/file.txt", StringComparison.Ordinal);
        while (path.IndexOf('{', StringComparison.Ordinal) is var open and >= 0)
        {
            path = path[..open] + "probe" + path[(path.IndexOf('}', open) + 1)..];
        }
        return Mount switch
        {
            RouteMount.ApiAndAjax => [$"/api/{Version}.0{path}", $"/ajax-api/{Version}.0{path}"],
            RouteMount.AjaxOnly => [$"/ajax-api/{Version}.0{path}"],
            _ => [path],
        };
    }
}

/// <summary>
/// Every route MLflow 3.5's server serves (the endpoints of its four proto services from mlflow/server/handlers.py
/// get_endpoints, GraphQL, the routes mlflow/server/__init__.py adds, and the FastAPI routers of fastapi_app.py), and
/// what Cairn answers on each: served, or answered as MLflow answers a feature that is not available. Never a bare 404
/// or a 405 without MLflow's error shape.
/// </summary>
public sealed class MlflowRouteTableTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static MlflowRoute Api(string method, string path, int version = 2, RouteAnswer answer = RouteAnswer.Served) =>
        new(method, path, version, RouteMount.ApiAndAjax, answer);

    /// <summary>The endpoints of MLflow 3.5's protos (service, model_registry, mlflow_artifacts, webhooks) and GraphQL: 111.</summary>
    public static readonly MlflowRoute[] ApiRoutes =
    [
        // Tracking: experiments and runs (service.proto)
        Api("GET", "/mlflow/experiments/get-by-name"),
        Api("POST", "/mlflow/experiments/create"),
        Api("POST", "/mlflow/experiments/search"),
        Api("GET", "/mlflow/experiments/search"),
        Api("GET", "/mlflow/experiments/get"),
        Api("POST", "/mlflow/experiments/delete"),
        Api("POST", "/mlflow/experiments/restore"),
        Api("POST", "/mlflow/experiments/update"),
        Api("POST", "/mlflow/runs/create"),
        Api("POST", "/mlflow/runs/update"),
        Api("POST", "/mlflow/runs/delete"),
        Api("POST", "/mlflow/runs/restore"),
        Api("POST", "/mlflow/runs/log-metric"),
        Api("POST", "/mlflow/runs/log-parameter"),
        Api("POST", "/mlflow/experiments/set-experiment-tag"),
        Api("POST", "/mlflow/experiments/delete-experiment-tag"),
        Api("POST", "/mlflow/runs/set-tag"),
        Api("POST", "/mlflow/runs/delete-tag"),
        Api("GET", "/mlflow/runs/get"),
        Api("POST", "/mlflow/runs/search"),
        Api("GET", "/mlflow/artifacts/list"),
        Api("GET", "/mlflow/metrics/get-history"),
        Api("GET", "/mlflow/metrics/get-history-bulk-interval"),
        Api("POST", "/mlflow/runs/log-batch"),
        Api("POST", "/mlflow/runs/log-model"),
        Api("POST", "/mlflow/runs/log-inputs"),
        Api("POST", "/mlflow/runs/outputs"),
        // The proto writes this path without its leading '/', so MLflow's /api/2.0 route for it is malformed; the one
        // that works is the /ajax-api/2.0 route __init__.py adds (below).
        new("POST", "/mlflow/experiments/search-datasets", 2, RouteMount.AjaxOnly, RouteAnswer.Served),

        // Traces, v2 and v3 (service.proto)
        Api("PATCH", "/mlflow/traces/{request_id}/tags"),
        Api("PATCH", "/mlflow/traces/{trace_id}/tags", 3),
        Api("DELETE", "/mlflow/traces/{request_id}/tags"),
        Api("DELETE", "/mlflow/traces/{trace_id}/tags", 3),
        Api("POST", "/mlflow/traces"),
        Api("PATCH", "/mlflow/traces/{request_id}"),
        Api("GET", "/mlflow/traces/{request_id}/info"),
        Api("GET", "/mlflow/traces/{trace_id}", 3),
        Api("GET", "/mlflow/traces/batchGet", 3),
        Api("GET", "/mlflow/traces"),
        Api("POST", "/mlflow/traces/search", 3),
        Api("POST", "/mlflow/traces", 3),
        Api("POST", "/mlflow/traces/link-to-run"),
        Api("GET", "/mlflow/unified-traces", answer: RouteAnswer.EndpointNotFound),
        Api("GET", "/mlflow/get-online-trace-details", answer: RouteAnswer.EndpointNotFound),
        Api("POST", "/mlflow/traces/delete-traces"),
        Api("POST", "/mlflow/traces/delete-traces", 3),
        Api("POST", "/mlflow/traces/calculate-filter-correlation", 3),

        // Logged models (service.proto)
        Api("POST", "/mlflow/logged-models"),
        Api("PATCH", "/mlflow/logged-models/{model_id}"),
        Api("GET", "/mlflow/logged-models/{model_id}"),
        Api("DELETE", "/mlflow/logged-models/{model_id}"),
        Api("POST", "/mlflow/logged-models/search"),
        Api("PATCH", "/mlflow/logged-models/{model_id}/tags"),
        Api("DELETE", "/mlflow/logged-models/{model_id}/tags/{tag_key}"),
        Api("GET", "/mlflow/logged-models/{model_id}/artifacts/directories"),
        Api("POST", "/mlflow/logged-models/{model_id}/params"),

        // Assessments, evaluation datasets, scorers (service.proto, v3): not stored by Cairn
        Api("GET", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", 3, RouteAnswer.NotImplemented),
        Api("POST", "/mlflow/traces/{trace_id}/assessments", 3, RouteAnswer.NotImplemented),
        Api("PATCH", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", 3, RouteAnswer.NotImplemented),
        Api("DELETE", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", 3, RouteAnswer.NotImplemented),
        Api("POST", "/mlflow/datasets/create", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/datasets/{dataset_id}", 3, RouteAnswer.NotImplemented),
        Api("DELETE", "/mlflow/datasets/{dataset_id}", 3, RouteAnswer.NotImplemented),
        Api("POST", "/mlflow/datasets/search", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/datasets/search", 3, RouteAnswer.NotImplemented),
        Api("PATCH", "/mlflow/datasets/{dataset_id}/tags", 3, RouteAnswer.NotImplemented),
        Api("DELETE", "/mlflow/datasets/{dataset_id}/tags/{key}", 3, RouteAnswer.NotImplemented),
        Api("POST", "/mlflow/datasets/{dataset_id}/records", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/datasets/{dataset_id}/records", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/datasets/{dataset_id}/experiment-ids", 3, RouteAnswer.NotImplemented),
        Api("POST", "/mlflow/scorers/register", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/scorers/list", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/scorers/versions", 3, RouteAnswer.NotImplemented),
        Api("GET", "/mlflow/scorers/get", 3, RouteAnswer.NotImplemented),
        Api("DELETE", "/mlflow/scorers/delete", 3, RouteAnswer.NotImplemented),

        // Model registry (model_registry.proto)
        Api("POST", "/mlflow/registered-models/create"),
        Api("POST", "/mlflow/registered-models/rename"),
        Api("PATCH", "/mlflow/registered-models/update"),
        Api("DELETE", "/mlflow/registered-models/delete"),
        Api("GET", "/mlflow/registered-models/get"),
        Api("GET", "/mlflow/registered-models/search"),
        Api("POST", "/mlflow/registered-models/get-latest-versions"),
        Api("GET", "/mlflow/registered-models/get-latest-versions"),
        Api("POST", "/mlflow/model-versions/create"),
        Api("PATCH", "/mlflow/model-versions/update"),
        Api("POST", "/mlflow/model-versions/transition-stage"),
        Api("DELETE", "/mlflow/model-versions/delete"),
        Api("GET", "/mlflow/model-versions/get"),
        Api("GET", "/mlflow/model-versions/search"),
        Api("GET", "/mlflow/model-versions/get-download-uri"),
        Api("POST", "/mlflow/registered-models/set-tag"),
        Api("POST", "/mlflow/model-versions/set-tag"),
        Api("DELETE", "/mlflow/registered-models/delete-tag"),
        Api("DELETE", "/mlflow/model-versions/delete-tag"),
        Api("POST", "/mlflow/registered-models/alias"),
        Api("DELETE", "/mlflow/registered-models/alias"),
        Api("GET", "/mlflow/registered-models/alias"),

        // Artifact proxy (mlflow_artifacts.proto)
        Api("GET", "/mlflow-artifacts/artifacts/{**artifact_path}"),
        Api("PUT", "/mlflow-artifacts/artifacts/{**artifact_path}"),
        Api("GET", "/mlflow-artifacts/artifacts"),
        Api("DELETE", "/mlflow-artifacts/artifacts/{**artifact_path}"),
        Api("POST", "/mlflow-artifacts/mpu/create/{**artifact_path}"),
        Api("POST", "/mlflow-artifacts/mpu/complete/{**artifact_path}"),
        Api("POST", "/mlflow-artifacts/mpu/abort/{**artifact_path}"),

        // Webhooks (webhooks.proto)
        Api("POST", "/mlflow/webhooks"),
        Api("GET", "/mlflow/webhooks"),
        Api("GET", "/mlflow/webhooks/{webhook_id}"),
        Api("PATCH", "/mlflow/webhooks/{webhook_id}"),
        Api("DELETE", "/mlflow/webhooks/{webhook_id}"),
        Api("POST", "/mlflow/webhooks/{webhook_id}/test"),

        // GraphQL (handlers.py get_endpoints), used by MLflow's web UI
        new("GET", "/graphql", 2, RouteMount.Bare, RouteAnswer.NotImplemented),
        new("POST", "/graphql", 2, RouteMount.Bare, RouteAnswer.NotImplemented),
    ];

    /// <summary>The routes mlflow/server/__init__.py and fastapi_app.py add beside the proto endpoints.</summary>
    public static readonly MlflowRoute[] OtherRoutes =
    [
        new("GET", "/health", 2, RouteMount.Bare, RouteAnswer.Served),
        new("GET", "/version", 2, RouteMount.Bare, RouteAnswer.Served),
        new("GET", "/get-artifact", 2, RouteMount.Bare, RouteAnswer.Served),
        new("GET", "/model-versions/get-artifact", 2, RouteMount.Bare, RouteAnswer.Served),
        new("GET", "/mlflow/metrics/get-history-bulk", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("POST", "/mlflow/runs/create-promptlab-run", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("GET", "/mlflow/gateway-proxy", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("POST", "/mlflow/gateway-proxy", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("POST", "/mlflow/upload-artifact", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("GET", "/mlflow/get-trace-artifact", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("GET", "/mlflow/logged-models/{model_id}/artifacts/files", 2, RouteMount.AjaxOnly, RouteAnswer.Served),
        new("GET", "/static-files/{path}", 2, RouteMount.Bare, RouteAnswer.EndpointNotFound),
        // fastapi_app.py: the OTLP trace receiver and the web UI's job API (job execution off)
        new("POST", "/v1/traces", 2, RouteMount.Bare, RouteAnswer.Served),
        new("POST", "/ajax-api/3.0/jobs/", 3, RouteMount.Bare, RouteAnswer.NotImplemented),
        new("POST", "/ajax-api/3.0/jobs/search", 3, RouteMount.Bare, RouteAnswer.Served),
        new("GET", "/ajax-api/3.0/jobs/{job_id}", 3, RouteMount.Bare, RouteAnswer.Served),
    ];

    private static IEnumerable<MlflowRoute> AllRoutes => ApiRoutes.Concat(OtherRoutes);

    [Fact]
    public void The_table_holds_mlflow_3_5s_111_api_routes_once_each()
    {
        Assert.Equal(111, ApiRoutes.Length);
        Assert.Equal(ApiRoutes.Length + OtherRoutes.Length, AllRoutes.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public async Task Every_mlflow_route_is_served_or_answered_as_mlflow_answers_an_unavailable_feature()
    {
        var client = app.CreateClient();
        var failures = new List<string>();
        foreach (var route in AllRoutes)
        {
            foreach (var url in route.Urls())
            {
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(url, UriKind.Relative));
                if (route.Method != "GET")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (Problem(route, (int)response.StatusCode, body) is { } problem)
                {
                    failures.Add($"{route.Method} {url}: {problem} (got {(int)response.StatusCode}: {Shorten(body)})");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task A_method_a_served_path_does_not_take_answers_mlflows_error_shape_not_a_bare_405()
    {
        var mlflow = new Mlflow(app.CreateClient());

        await (await mlflow.GetAsync("runs/create")).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND", "No MLflow endpoint GET");
        await (await mlflow.PostAsync("registered-models/get", new { })).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND");
    }

    [Fact]
    public async Task A_feature_cairn_does_not_store_answers_not_implemented_naming_mlflows_store_method()
    {
        var v3 = new Mlflow(app.CreateClient(), "/api/3.0/mlflow");

        await (await v3.PostAsync("datasets/create", new { name = "eval" }))
            .MlflowErrorAsync(501, "NOT_IMPLEMENTED", "create_dataset is not supported by Cairn: it does not store MLflow evaluation datasets.");
        await (await v3.GetAsync("scorers/list?experiment_id=0")).MlflowErrorAsync(501, "NOT_IMPLEMENTED", "list_scorers is not supported by Cairn");
        await (await v3.PostAsync("traces/tr-1/assessments", new { })).MlflowErrorAsync(501, "NOT_IMPLEMENTED", "create_assessment is not supported by Cairn");
        await (await new Mlflow(app.CreateClient(), "/ajax-api/2.0/mlflow").GetAsync("unified-traces"))
            .MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND", "only served by Databricks");
    }

    [Fact]
    public async Task The_gateway_proxy_answers_an_empty_gateway_and_the_job_api_finds_no_jobs()
    {
        // MLflow's gateway_proxy_handler with no MLFLOW_DEPLOYMENTS_TARGET; its job API with job execution off
        var client = app.CreateClient();
        var gateway = await (await client.GetAsync(new Uri("/ajax-api/2.0/mlflow/gateway-proxy", UriKind.Relative))).OkAsync();
        var jobs = await (await client.PostAsync(new Uri("/ajax-api/3.0/jobs/search", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"))).OkAsync();

        Assert.Equal("""{"endpoints":[]}""", gateway.ToJsonString());
        Assert.Equal("""{"jobs":[]}""", jobs.ToJsonString());
        await (await client.GetAsync(new Uri("/ajax-api/3.0/jobs/j-1", UriKind.Relative))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Job with ID j-1 not found");
    }

    [Fact]
    public async Task Deleting_an_experiment_tag_removes_it_and_a_tag_it_lacks_is_not_found()
    {
        // ports test_tracking.py / test_rest_tracking.py::test_delete_tag behaviour for experiments (sqlalchemy_store.delete_experiment_tag)
        var mlflow = new Mlflow(app.CreateClient());
        var id = (string)(await mlflow.OkAsync("experiments/create", new { name = $"tagged-{Guid.NewGuid():N}" }))["experiment_id"]!;
        await mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "team", value = "risk" });

        Assert.Empty(await mlflow.OkAsync("experiments/delete-experiment-tag", new { experiment_id = id, key = "team" }));

        var experiment = await mlflow.GetOkAsync($"experiments/get?experiment_id={id}");
        Assert.DoesNotContain(experiment["experiment"]!["tags"]?.AsArray() ?? [], t => (string?)t!["key"] == "team");
        await (await mlflow.PostAsync("experiments/delete-experiment-tag", new { experiment_id = id, key = "team" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"No tag with name: team in experiment with id {id}");
        await (await mlflow.PostAsync("experiments/delete-experiment-tag", new { experiment_id = id }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'key'");
        await mlflow.OkAsync("experiments/delete", new { experiment_id = id });
        await (await mlflow.PostAsync("experiments/delete-experiment-tag", new { experiment_id = id, key = "team" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state");
    }

    /// <summary>What is wrong with an answer, or null when it is the answer the table expects.</summary>
    private static string? Problem(MlflowRoute route, int status, string body)
    {
        var errorCode = ErrorCode(body);
        // MLflow serves OTLP through FastAPI, whose refusals are {"detail": …}; Cairn answers those as MLflow does.
        if (route.Path == "/v1/traces" && status == 422 && JsonNode.Parse(body)?["detail"] is not null)
        {
            return null;
        }
        return route.Answer switch
        {
            RouteAnswer.NotImplemented when status != 501 || errorCode != "NOT_IMPLEMENTED" => "expected 501 NOT_IMPLEMENTED",
            RouteAnswer.EndpointNotFound when status != 404 || errorCode != "ENDPOINT_NOT_FOUND" => "expected 404 ENDPOINT_NOT_FOUND",
            RouteAnswer.Served when status is 405 or 501 => "a served route answered as unavailable",
            RouteAnswer.Served when status >= 400 && errorCode is null => "an error without MLflow's {error_code, message}",
            RouteAnswer.Served when errorCode == "ENDPOINT_NOT_FOUND" => "a served route is not mapped",
            _ => null,
        };
    }

    private static string? ErrorCode(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject json ? (string?)json["error_code"] : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string body) => body.Length > 160 ? body[..160] + "…" : body;

    [Fact]
    public void Urls_fill_parameters_and_take_each_prefix_mlflow_mounts_the_route_under()
    {
        Assert.Equal(["/api/3.0/mlflow/datasets/probe/tags/probe", "/ajax-api/3.0/mlflow/datasets/probe/tags/probe"],
            Api("DELETE", "/mlflow/datasets/{dataset_id}/tags/{key}", 3).Urls());
        Assert.Equal(["/api/2.0/mlflow-artifacts/artifacts/probe/file.txt", "/ajax-api/2.0/mlflow-artifacts/artifacts/probe/file.txt"],
            Api("GET", "/mlflow-artifacts/artifacts/{**artifact_path}").Urls());
    }
}
