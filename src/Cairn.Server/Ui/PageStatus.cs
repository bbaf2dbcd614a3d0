namespace Cairn.Server.Ui;

/// <summary>
/// The status of a page that still renders its body (a "not found" state, an error said in place). A 404 cannot be
/// set while the page renders: .NET 10's component endpoint drops the body of a matched page whose status is 404 (it
/// leaves the response to status-code re-execution), and the status-code pages middleware then writes a problem
/// document instead of the page. So the status is set as the response starts, after the body is rendered.
/// </summary>
public static class PageStatus
{
    public static void Set(HttpContext context, int status) =>
        context.Response.OnStarting(() =>
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
}
