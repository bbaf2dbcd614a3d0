using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;

namespace Cairn.Server.Mlflow;

/// <summary>
/// Databricks' workspace model registry transition requests (<c>/transition-requests/create|list|approve|reject|delete</c>,
/// as the Databricks SDKs call them) over Cairn's promotion requests, so that enterprise MLflow users keep the calls
/// they know. A Databricks request is a promotion request whose target is a stage: the same policy, approvals, four-eyes
/// and gates decide it, and an approval that completes it applies the transition. docs/governance.md lists the
/// differences (requests exist only for protected stages; the policy, not the approver, says whether to archive).
/// </summary>
internal static class DatabricksTransitionRequestsApi
{
    public static RouteGroupBuilder MapDatabricksTransitionRequests(this RouteGroupBuilder group)
    {
        var requests = group.MapGroup("/transition-requests");
        requests.MapPost("/create", (HttpContext c, PromotionRequests promotions) => Handle(c, async m =>
        {
            var (name, version, stage) = Identify(m);
            var created = await promotions.RequestAsync(c.Caller(), name, version, stage.ToString(), m.Comment, c.RequestAborted);
            if (created.Status == PromotionStatus.Rejected)
            {
                // Recorded (the attempt is evidence), but a Databricks client would take an answer for an open request.
                var failed = created.Gates.Where(g => !g.Passed).Select(g => $"{g.Type} ({g.Reason})");
                throw MlflowErrors.Error(MlflowErrors.InvalidState,
                    $"The transition of version {version} of '{name}' to {stage} fails its policy's gates and is recorded as rejected (request {created.Id}): {string.Join("; ", failed)}.");
            }
            return MlflowJson.Ok(new { request = Request(created, c.Caller()) });
        }));
        requests.MapGet("/list", (HttpContext c, PromotionRequests promotions) => Handle(c, async m =>
        {
            var name = MlflowRegistryApi.Required(m.Name, "name");
            var version = MlflowRegistryApi.Version(m.Version);
            var open = new List<PromotionRequest>();
            string? token = null;
            do
            {
                var page = await promotions.ListAsync(c.Caller(), new PromotionQuery(name, version, "PENDING", PageToken: token), c.RequestAborted);
                open.AddRange(page.Requests.Where(r => r.TargetKind == PromotionTargetKind.Stage));
                token = page.NextPageToken;
            }
            while (token is not null);
            return MlflowJson.Ok(new { requests = open.Select(r => Activity(r, "REQUESTED_TRANSITION", r.RequestedBy, r.Comment, r.RequestedAt)) });
        }));
        requests.MapPost("/approve", (HttpContext c, PromotionRequests promotions) => Handle(c, async m =>
        {
            var open = await OpenRequestAsync(c, promotions, m, creator: null);
            var approved = await promotions.ApproveAsync(c.Caller(), open.Id, m.Comment, c.RequestAborted);
            return MlflowJson.Ok(new { activity = Decision(approved, c, "APPROVED_REQUEST", m.Comment) });
        }));
        requests.MapPost("/reject", (HttpContext c, PromotionRequests promotions) => Handle(c, async m =>
        {
            var open = await OpenRequestAsync(c, promotions, m, creator: null);
            var rejected = await promotions.RejectAsync(c.Caller(), open.Id, m.Comment, c.RequestAborted);
            return MlflowJson.Ok(new { activity = Decision(rejected, c, "REJECTED_REQUEST", m.Comment) });
        }));
        requests.MapDelete("/delete", (HttpContext c, PromotionRequests promotions) => Handle(c, async m =>
        {
            var open = await OpenRequestAsync(c, promotions, m, MlflowRegistryApi.Required(m.Creator, "creator"));
            var cancelled = await promotions.CancelAsync(c.Caller(), open.Id, m.Comment, c.RequestAborted);
            return MlflowJson.Ok(new { activity = Decision(cancelled, c, "CANCELLED_REQUEST", m.Comment) });
        }));
        return group;
    }

    private static async Task<IResult> Handle(HttpContext context, Func<MlflowRegistryApi.RegistryMessage, Task<IResult>> handler) =>
        await handler(await MlflowJson.ReadAsync<MlflowRegistryApi.RegistryMessage>(context));

    private static (string Name, int Version, Stage Stage) Identify(MlflowRegistryApi.RegistryMessage m) =>
        (MlflowRegistryApi.Required(m.Name, "name"), MlflowRegistryApi.Version(m.Version), ModelRegistry.ParseStage(MlflowRegistryApi.Required(m.Stage, "stage")));

    // The open request for the version and stage (one at most: Cairn keeps one pending request per target), made by
    // creator when one is named.
    private static async Task<PromotionRequest> OpenRequestAsync(HttpContext c, PromotionRequests promotions, MlflowRegistryApi.RegistryMessage m, string? creator)
    {
        var (name, version, stage) = Identify(m);
        var page = await promotions.ListAsync(c.Caller(), new PromotionQuery(name, version, "PENDING"), c.RequestAborted);
        return page.Requests.FirstOrDefault(r => r.TargetKind == PromotionTargetKind.Stage && r.Target == stage.ToString()
                && (creator is null || string.Equals(r.RequestedBy, creator, StringComparison.Ordinal)))
            ?? throw new NotFoundException(creator is null
                ? $"Version {version} of '{name}' has no open transition request to {stage}."
                : $"Version {version} of '{name}' has no open transition request to {stage} made by '{creator}'.");
    }

    private static object Request(PromotionRequest r, Caller caller) => new
    {
        creation_timestamp = r.RequestedAt.ToUnixTimeMilliseconds(),
        to_stage = r.Target,
        user_id = r.RequestedBy,
        comment = r.Comment,
        available_actions = AvailableActions(r, caller),
    };

    // What the caller could do with the request, as Databricks lists it for the viewer. Four-eyes on the version's
    // creator is not known here; the approval itself refuses it with the reason.
    private static List<string> AvailableActions(PromotionRequest r, Caller caller)
    {
        var actions = new List<string>();
        var ns = NamespacePath.Split(r.Model).Namespace;
        if (caller.Has(r.Rule.ApproverRoleValue, ns) && !(r.Rule.FourEyes && string.Equals(caller.Name, r.RequestedBy, StringComparison.Ordinal)))
        {
            actions.Add("APPROVE_TRANSITION_REQUEST");
            actions.Add("REJECT_TRANSITION_REQUEST");
        }
        if (string.Equals(caller.Name, r.RequestedBy, StringComparison.Ordinal) || caller.Has(Role.Admin, ns))
        {
            actions.Add("CANCEL_TRANSITION_REQUEST");
        }
        return actions;
    }

    private static object Activity(PromotionRequest r, string type, string user, string? comment, DateTimeOffset at, string? systemComment = null) => new
    {
        id = r.Id,
        activity_type = type,
        user_id = user,
        comment,
        creation_timestamp = at.ToUnixTimeMilliseconds(),
        last_updated_timestamp = at.ToUnixTimeMilliseconds(),
        to_stage = r.Target,
        system_comment = systemComment,
    };

    // The activity the caller's decision made, with what it did to the request in the system comment.
    private static object Decision(PromotionRequest r, HttpContext c, string type, string? comment)
    {
        var approvals = r.Reviews.Count(v => v.Verdict == "APPROVE");
        var state = r.Status switch
        {
            PromotionStatus.Applied => $"applied: version {r.Version.ToString(CultureInfo.InvariantCulture)} moved to {r.Target}",
            PromotionStatus.Pending => $"pending: {approvals.ToString(CultureInfo.InvariantCulture)} of {r.Rule.Approvals.ToString(CultureInfo.InvariantCulture)} approvals",
            _ => $"{r.Status.ToString().ToLowerInvariant()}{(r.Decision is null ? "" : ": " + r.Decision)}",
        };
        return Activity(r, type, c.Caller().Name, comment, r.DecidedAt ?? r.Reviews.Select(v => v.At).DefaultIfEmpty(r.RequestedAt).Max(), $"Request {r.Id} {state}.");
    }
}
