using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// SVG's <c>&lt;text&gt;</c> element, which Razor markup cannot write (Razor reads <c>&lt;text&gt;</c> as its own
/// tag), built on the render tree: its content is encoded like all text.
/// </summary>
public static class SvgText
{
    public static RenderFragment Of(string? cssClass, double x, double y, string content, string? anchor = null) => builder =>
    {
        builder.OpenElement(0, "text");
        builder.AddAttribute(1, "class", cssClass);
        builder.AddAttribute(2, "x", N(x));
        builder.AddAttribute(3, "y", N(y));
        builder.AddAttribute(4, "text-anchor", anchor);
        builder.AddContent(5, content);
        builder.CloseElement();
    };

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
