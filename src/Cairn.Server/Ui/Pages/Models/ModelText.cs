using System.Globalization;
using Cairn.Catalog;
using Cairn.Server.Ui.Components;

namespace Cairn.Server.Ui.Pages.Models;

/// <summary>How the model pages write numbers, sizes and breadcrumbs.</summary>
public static class ModelText
{
    /// <summary>A metric: up to 6 significant digits, invariant culture, no exponent below a million.</summary>
    public static string Number(double value) =>
        double.IsFinite(value) ? value.ToString(Math.Abs(value) is >= 1e6 or (> 0 and < 1e-4) ? "G6" : "0.######", CultureInfo.InvariantCulture)
        : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A file size in bytes, KiB, MiB or GiB, with the exact count for a tooltip.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var size = (double)bytes;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : size.ToString(size < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>Namespace / model (/ version / page) crumbs; a name that does not split into a namespace leads to the models list.</summary>
    public static IReadOnlyList<Breadcrumb.Crumb> Crumbs(string fullName, params Breadcrumb.Crumb[] more)
    {
        string ns;
        string name;
        try
        {
            (ns, name) = NamespacePath.Split(fullName);
        }
        catch (InvalidParameterException)
        {
            return [new Breadcrumb.Crumb("Models", "/"), new Breadcrumb.Crumb(fullName, null), .. more];
        }
        return [.. Breadcrumb.ForNamespace(ns), new Breadcrumb.Crumb(name, UiUrls.Model(fullName)), .. more];
    }
}
