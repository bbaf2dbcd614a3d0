using Cairn.Governance;

namespace Cairn.Server.Ui;

/// <summary>
/// The top navigation. A new area of the UI adds its entry here; <see cref="Item.Role"/> hides it from callers
/// without that role on the root namespace (the page refuses them anyway).
/// </summary>
public static class UiNavigation
{
    public sealed record Item(string Label, string Href, Role? Role = null);

    public static IReadOnlyList<Item> Items { get; } =
    [
        new("Models", "/"),
        new("Experiments", "/experiments"),
        new("Lineage", "/lineage"),
        new("Datasets", "/datasets"),
        new("Features", "/features"),
        new("Deployments", "/deployments"),
        new("Approvals", "/approvals"),
        new("Monitoring", "/monitoring"),
        new("Reports", "/reports/compliance"),
        new("Audit", "/audit", Role.Admin),
        new("Admin", "/admin/tokens", Role.Admin),
    ];
}
