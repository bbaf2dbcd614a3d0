using System.Reflection;

namespace Cairn;

/// <summary>The version of this build of Cairn, as MinVer derived it from the git tag (decision 0029).</summary>
public static class CairnVersion
{
    /// <summary>
    /// The full version: <c>1.2.0</c> on a tagged commit, <c>1.2.1-alpha.0.4</c> four commits after it,
    /// <c>0.0.0-alpha.0.N</c> in a clone without tags; followed by <c>+</c> and the commit id when the build knew it.
    /// </summary>
    public static string Current { get; } =
        typeof(CairnVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary><see cref="Current"/> without its build metadata (the part after <c>+</c>): the package version.</summary>
    public static string SemVer { get; } = Current.Split('+')[0];
}
