using System.Text.Json;
using Cairn.Catalog;
using Cairn.Encryption;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Encryption;

/// <summary>Reads what a test server stored, decrypted with its own key ring: what a secret's row holds under its seal.</summary>
internal static class StoredForms
{
    /// <summary>
    /// A model's data sources as stored (in <paramref name="store"/>'s database when another app's store is served),
    /// secrets revealed with <paramref name="app"/>'s key ring, as JSON text.
    /// </summary>
    public static async Task<string> RevealedDataSourcesAsync(this CairnApp app, string fullName, CairnApp? store = null)
    {
        var stored = await (store ?? app).ScalarAsync<string>($"SELECT data_sources FROM models WHERE full_name = '{fullName}'");
        var sources = JsonSerializer.Deserialize<List<DataSource>>(stored, CairnJson.Options)!;
        return JsonSerializer.Serialize(app.Services.GetRequiredService<StoredSecrets>().RevealDataSources(sources), CairnJson.Options);
    }

    /// <summary>A deployment's environment variables as stored, revealed.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> RevealedVariablesAsync(this CairnApp app, string id)
    {
        var stored = await app.ScalarAsync<string>($"SELECT environment_variables FROM deployments WHERE id = '{id}'");
        return app.Services.GetRequiredService<StoredSecrets>().RevealVariables(JsonSerializer.Deserialize<Dictionary<string, string>>(stored, CairnJson.Options)!);
    }
}
