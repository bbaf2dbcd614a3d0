using Cairn.Tracking;

namespace Cairn.Tests.Mlflow;

/// <summary>Artifact URIs resolved to a key of the proxy's destination or a directory of this machine, as the run listing resolves them.</summary>
[Trait("Store", "none")]
public sealed class MlflowArtifactsLocationTests
{
    [Theory]
    [InlineData("mlflow-artifacts:/", "")]
    [InlineData("mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts")]
    [InlineData("mlflow-artifacts:/1/abc/artifacts/", "1/abc/artifacts")]
    [InlineData("mlflow-artifacts://tracking.example:5000/1/abc/artifacts", "1/abc/artifacts")]
    public void Proxy_uris_resolve_to_their_key_in_the_destination(string uri, string key)
    {
        Assert.Equal(new ArtifactRoot(Proxied: true, key), TrackingArtifacts.Resolve(uri));
    }

    [Theory]
    [InlineData("file:///data/mlruns/1/abc/artifacts", "/data/mlruns/1/abc/artifacts")]
    [InlineData("file://host/data/mlruns", "/data/mlruns")]
    [InlineData("file:///data/with%20space", "/data/with space")]
    [InlineData("/data/mlruns/1", "/data/mlruns/1")]
    public void Uris_on_this_machine_resolve_to_their_directory(string uri, string expected)
    {
        Assert.Equal(new ArtifactRoot(Proxied: false, expected), TrackingArtifacts.Resolve(uri));
    }

    [Fact]
    public void Relative_paths_and_file_uris_are_relative_to_the_working_directory_as_in_mlflow()
    {
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "mlruns", "1"), TrackingArtifacts.Resolve("mlruns/1").Path);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "mlruns", "1"), TrackingArtifacts.Resolve("./mlruns/1").Path);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "mlruns"), TrackingArtifacts.Resolve("file:mlruns").Path);
    }

    [Theory]
    [InlineData("s3://bucket/1/abc/artifacts")]
    [InlineData("gs://bucket/x")]
    [InlineData("wasbs://c@acct.blob.core.windows.net/x")]
    [InlineData("runs:/abc/model")]
    [InlineData("mlflow-artifacts:/1/../../etc")]
    [InlineData("mlflow-artifacts:/.staging/x")]
    public void Other_schemes_and_unsafe_proxy_paths_are_invalid(string uri)
    {
        Assert.Throws<InvalidParameterException>(() => TrackingArtifacts.Resolve(uri));
    }

    [Theory]
    [InlineData("s3://b/k", "s3")]
    [InlineData("mlflow-artifacts:/", "mlflow-artifacts")]
    [InlineData("postgresql+psycopg2://h/db", "postgresql+psycopg2")]
    [InlineData("/abs/path", null)]
    [InlineData("rel/path", null)]
    [InlineData("C:\\data", null)]
    [InlineData("a:b", null)]
    public void A_scheme_is_told_from_a_path(string value, string? scheme)
    {
        Assert.Equal(scheme, TrackingArtifacts.Scheme(value));
    }

    [Theory]
    [InlineData("a/%2E%2E/b")]
    [InlineData("a/%252E%252E/b")]
    [InlineData("a%23b")]
    [InlineData("a#b")]
    [InlineData("%2Fetc")]
    [InlineData("a%5Cb")]
    public void Paths_are_checked_decoded_as_mlflow_checks_them(string path)
    {
        Assert.Throws<InvalidParameterException>(() => TrackingArtifacts.CheckPath(path));
    }

    [Theory]
    [InlineData("model/MLmodel")]
    [InlineData("100%.txt")]
    [InlineData("a b/c.bin")]
    public void Ordinary_paths_pass(string path)
    {
        Assert.Equal(path, TrackingArtifacts.CheckPath(path));
    }
}
