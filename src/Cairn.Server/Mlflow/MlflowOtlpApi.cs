using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cairn.Tracking.Traces;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Cairn.Server.Mlflow;

/// <summary>
/// OTLP/HTTP trace ingestion as MLflow's server offers it (mlflow/server/otel_api.py): <c>POST /v1/traces</c> with a
/// binary protobuf ExportTraceServiceRequest and the experiment in the header <c>x-mlflow-experiment-id</c>. MLflow 3.4+
/// clients send each finished span here; other OpenTelemetry exporters can too. Errors take MLflow's (FastAPI's) shape
/// on this path, <c>{"detail": …}</c>: 400 for a wrong content type or an unreadable body, 422 for a missing header, a
/// span that cannot be converted or spans the store refuses.
/// </summary>
internal static class MlflowOtlpApi
{
    public const string Path = "/v1/traces";
    public const string ExperimentHeader = "x-mlflow-experiment-id";
    private const string Protobuf = "application/x-protobuf";

    public static IEndpointRouteBuilder MapMlflowOtlp(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ExportAsync).WithTags("MLflow").ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ExportAsync(HttpContext context, TraceStore store)
    {
        var experimentId = context.Request.Headers[ExperimentHeader].ToString();
        if (string.IsNullOrEmpty(experimentId))
        {
            // FastAPI's answer for a missing required header.
            return Results.Json(new { detail = new[] { new { type = "missing", loc = new[] { "header", ExperimentHeader }, msg = "Field required" } } }, statusCode: 422);
        }
        var contentType = context.Request.ContentType;
        if (contentType != Protobuf)
        {
            return Detail(400, $"Invalid Content-Type: {contentType ?? "None"}. Expected: {Protobuf}");
        }

        ExportTraceServiceRequest request;
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            request = ExportTraceServiceRequest.Parser.ParseFrom(body.GetBuffer().AsSpan(0, (int)body.Length));
        }
        catch (InvalidProtocolBufferException)
        {
            return Detail(400, "Invalid OpenTelemetry protobuf format");
        }
        if (request.ResourceSpans.Count == 0)
        {
            return Detail(400, "Invalid OpenTelemetry protobuf format - no spans found");
        }

        var spans = new List<TraceSpan>();
        foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
        {
            if (ToTraceSpan(span) is not { } converted)
            {
                return Detail(422, "Cannot convert OpenTelemetry span to MLflow span");
            }
            spans.Add(converted);
        }
        try
        {
            await store.LogSpansAsync(context.Caller(), experimentId, spans, context.RequestAborted);
        }
        catch (CairnException e) when (e.StatusCode is not (401 or 403))
        {
            return Detail(422, $"Cannot store OpenTelemetry spans: {e.Message}");
        }
        // An empty ExportTraceServiceResponse: full success, in the encoding the exporter sent.
        return Results.Bytes(new ExportTraceServiceResponse().ToByteArray(), Protobuf);
    }

    private static IResult Detail(int status, string detail) => Results.Json(new { detail }, statusCode: status);

    /// <summary>
    /// A span as MLflow stores one it receives over OTLP: the trace id <c>tr-</c> and the OpenTelemetry trace id in hex,
    /// and the whole span as MLflow's span JSON (ids in base64, attribute values JSON-encoded as MLflow's own spans hold
    /// them, so that a trace data file made from them reads back in MLflow's client). Null for a span without valid ids.
    /// </summary>
    internal static TraceSpan? ToTraceSpan(Span span)
    {
        if (span.TraceId.Length != 16 || span.SpanId.Length != 8 || span.ParentSpanId.Length is not (0 or 8))
        {
            return null;
        }
        var traceId = "tr-" + Convert.ToHexStringLower(span.TraceId.Span);
        var status = span.Status?.Code switch
        {
            Status.Types.StatusCode.Ok => "OK",
            Status.Types.StatusCode.Error => "ERROR",
            _ => "UNSET",
        };
        long? end = span.EndTimeUnixNano == 0 ? null : (long)span.EndTimeUnixNano;

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["mlflow.traceRequestId"] = JsonSerializer.Serialize(traceId) };
        string? spanType = null;
        foreach (var attribute in span.Attributes)
        {
            attributes[attribute.Key] = Json(attribute.Value);
            if (attribute.Key == "mlflow.spanType")
            {
                spanType = attribute.Value.ValueCase == AnyValue.ValueOneofCase.StringValue ? Unquoted(attribute.Value.StringValue) : Json(attribute.Value);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("trace_id", Convert.ToBase64String(span.TraceId.Span));
            writer.WriteString("span_id", Convert.ToBase64String(span.SpanId.Span));
            if (span.ParentSpanId.Length > 0)
            {
                writer.WriteString("parent_span_id", Convert.ToBase64String(span.ParentSpanId.Span));
            }
            else
            {
                writer.WriteNull("parent_span_id");
            }
            writer.WriteString("name", span.Name);
            writer.WriteNumber("start_time_unix_nano", span.StartTimeUnixNano);
            if (end is { } e)
            {
                writer.WriteNumber("end_time_unix_nano", e);
            }
            else
            {
                writer.WriteNull("end_time_unix_nano");
            }
            writer.WriteStartArray("events");
            foreach (var spanEvent in span.Events)
            {
                writer.WriteStartObject();
                writer.WriteString("name", spanEvent.Name);
                writer.WriteNumber("time_unix_nano", spanEvent.TimeUnixNano);
                writer.WriteStartObject("attributes");
                foreach (var attribute in spanEvent.Attributes)
                {
                    writer.WritePropertyName(attribute.Key);
                    Write(writer, attribute.Value);
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartObject("status");
            writer.WriteString("code", "STATUS_CODE_" + status);
            writer.WriteString("message", span.Status?.Message ?? "");
            writer.WriteEndObject();
            writer.WriteStartObject("attributes");
            foreach (var (key, value) in attributes)
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return new TraceSpan(
            traceId,
            Convert.ToHexStringLower(span.SpanId.Span),
            span.ParentSpanId.Length > 0 ? Convert.ToHexStringLower(span.ParentSpanId.Span) : null,
            span.Name,
            spanType,
            status,
            (long)span.StartTimeUnixNano,
            end,
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>MLflow's own exporters send attribute strings JSON-encoded (<c>"\"LLM\""</c>); others send them plain.</summary>
    private static string Unquoted(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<string>(value) ?? value;
        }
        catch (JsonException)
        {
            return value;
        }
    }

    private static string Json(AnyValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, value);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, AnyValue? value)
    {
        switch (value?.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                writer.WriteStringValue(value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                writer.WriteBooleanValue(value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                writer.WriteNumberValue(value.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value.DoubleValue):
                writer.WriteNumberValue(value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                writer.WriteStringValue(value.DoubleValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                writer.WriteStartArray();
                foreach (var item in value.ArrayValue.Values)
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                writer.WriteStartObject();
                foreach (var pair in value.KvlistValue.Values)
                {
                    writer.WritePropertyName(pair.Key);
                    Write(writer, pair.Value);
                }
                writer.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                writer.WriteBase64StringValue(value.BytesValue.Span);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
