using PdfSharp.Fonts;

namespace Cairn.Documents;

/// <summary>
/// PDFsharp 6 finds no fonts by itself outside Windows: this resolver gives it a sans-serif (DejaVu Sans, else
/// Liberation Sans, else Arial or Noto Sans) and a monospace (DejaVu Sans Mono, Liberation Mono, Courier New) from the
/// operating system's font folders (fontconfig's /usr/share/fonts and the user's, macOS's and Windows'). No font ships
/// with Cairn; where none is installed, rendering a PDF fails with <see cref="PdfFontsMissingException"/> saying what
/// to install.
/// </summary>
internal sealed class SystemFontResolver : IFontResolver
{
    internal const string Sans = "Cairn Sans";
    internal const string Mono = "Cairn Mono";

    private static readonly (string Regular, string? Bold)[] SansFaces =
    [
        ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
        ("Arial.ttf", "Arial Bold.ttf"),
        ("arial.ttf", "arialbd.ttf"),
        ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ];

    private static readonly (string Regular, string? Bold)[] MonoFaces =
    [
        ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
        ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
        ("cour.ttf", "courbd.ttf"),
        ("NotoSansMono-Regular.ttf", "NotoSansMono-Bold.ttf"),
    ];

    private static readonly Lazy<SystemFontResolver> Found = new(() => Discover(FontDirectories()));
    private static readonly Lock Gate = new();

    private readonly Dictionary<string, string> files;
    private readonly Dictionary<string, byte[]> loaded = new(StringComparer.Ordinal);

    private SystemFontResolver(Dictionary<string, string> files) => this.files = files;

    /// <summary>The folders searched, in order.</summary>
    internal static IReadOnlyList<string> FontDirectories()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var windows = Environment.GetFolderPath(Environment.SpecialFolder.Fonts);
        return new[]
        {
            "/usr/share/fonts", "/usr/local/share/fonts",
            string.IsNullOrEmpty(dataHome) ? null : Path.Combine(dataHome, "fonts"),
            string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".local", "share", "fonts"),
            string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".fonts"),
            "/Library/Fonts", "/System/Library/Fonts",
            string.IsNullOrEmpty(windows) ? null : windows,
        }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Registers the resolver with PDFsharp once per process; throws when the OS has no usable font.</summary>
    internal static void EnsureRegistered()
    {
        var resolver = Found.Value;
        lock (Gate)
        {
            // PDFsharp allows setting it once (or to the same instance again); a resolver the host set first wins.
            GlobalFontSettings.FontResolver ??= resolver;
        }
    }

    /// <inheritdoc />
    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic)
    {
        var mono = familyName.Contains("mono", StringComparison.OrdinalIgnoreCase) && files.ContainsKey("mono-regular");
        var family = mono ? "mono" : "sans";
        if (bold && files.ContainsKey(family + "-bold"))
        {
            return new FontResolverInfo(family + "-bold", false, italic);
        }
        return new FontResolverInfo(family + "-regular", bold, italic);
    }

    /// <inheritdoc />
    public byte[]? GetFont(string faceName)
    {
        lock (loaded)
        {
            if (!loaded.TryGetValue(faceName, out var bytes) && files.TryGetValue(faceName, out var path))
            {
                bytes = File.ReadAllBytes(path);
                loaded[faceName] = bytes;
            }
            return bytes;
        }
    }

    /// <summary>Finds the faces in <paramref name="directories"/> (and below).</summary>
    internal static SystemFontResolver Discover(IReadOnlyList<string> directories)
    {
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseInsensitive };
        foreach (var directory in directories.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.ttf", options))
            {
                byName.TryAdd(Path.GetFileName(file), file);
            }
        }
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Pick(byName, SansFaces, "sans", files))
        {
            throw new PdfFontsMissingException(
                $"No font to render PDFs with was found in {string.Join(", ", directories)}. Install DejaVu Sans " +
                "(Debian and Ubuntu: apt-get install fonts-dejavu-core; Fedora: dnf install dejavu-sans-fonts; Alpine: " +
                "apk add font-dejavu) or Liberation Sans (fonts-liberation), then restart Cairn.");
        }
        Pick(byName, MonoFaces, "mono", files);
        return new SystemFontResolver(files);
    }

    private static bool Pick(Dictionary<string, string> byName, (string Regular, string? Bold)[] faces, string family, Dictionary<string, string> files)
    {
        foreach (var (regular, bold) in faces)
        {
            if (byName.TryGetValue(regular, out var path))
            {
                files[family + "-regular"] = path;
                // Without the same family's bold face PDFsharp simulates bold from the regular one.
                if (bold is not null && byName.TryGetValue(bold, out var boldPath))
                {
                    files[family + "-bold"] = boldPath;
                }
                return true;
            }
        }
        return false;
    }
}

/// <summary>The machine has no font PDFsharp can embed (503: the server is missing a package, the request is fine).</summary>
public sealed class PdfFontsMissingException(string message) : CairnException("PDF_FONTS_MISSING", 503, message);
