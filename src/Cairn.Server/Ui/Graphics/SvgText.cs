using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// An SVG <c>&lt;text&gt;</c> element. Razor reserves <c>&lt;text&gt;</c> for itself and refuses attributes on it,
/// so charts write their labels with this component; the content is encoded like any text.
/// </summary>
public sealed class SvgText : ComponentBase
{
    [Parameter] public string? X { get; set; }
    [Parameter] public string? Y { get; set; }
    [Parameter] public string? Anchor { get; set; }
    [Parameter] public string? Class { get; set; }
    [Parameter] public string? Transform { get; set; }
    [Parameter] public string? Text { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "text");
        builder.AddAttribute(1, "class", Class);
        builder.AddAttribute(2, "x", X);
        builder.AddAttribute(3, "y", Y);
        builder.AddAttribute(4, "text-anchor", Anchor);
        builder.AddAttribute(5, "transform", Transform);
        builder.AddContent(6, Text);
        builder.CloseElement();
    }
}
