using System.Security.Cryptography;

namespace Cairn.Tracking;

/// <summary>Readable names for runs started without one (MLflow's style: adjective-noun-number).</summary>
internal static class RunNames
{
    private static readonly string[] Adjectives =
    [
        "amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fleet", "gentle", "keen", "lively",
        "merry", "nimble", "quiet", "rapid", "steady", "sunny", "swift", "tidy", "vivid", "wise", "witty", "zesty",
    ];

    private static readonly string[] Nouns =
    [
        "badger", "bison", "crane", "dolphin", "falcon", "fox", "gecko", "heron", "ibis", "lynx", "marten", "newt",
        "otter", "owl", "panda", "quail", "raven", "seal", "shrew", "stoat", "swan", "tern", "vole", "wren",
    ];

    public static string Generate() =>
        $"{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}-{Nouns[RandomNumberGenerator.GetInt32(Nouns.Length)]}-{RandomNumberGenerator.GetInt32(1000)}";
}
