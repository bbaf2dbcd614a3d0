using Cairn.Artifacts;

namespace Cairn.Tests.Artifacts;

[Trait("Store", "none")]
public sealed class ArtifactPathTests
{
    [Theory]
    [InlineData("model.onnx")]
    [InlineData("weights/shard-00001.safetensors")]
    [InlineData("a/b/c/d.txt")]
    [InlineData("name with spaces.bin")]
    public void Safe_relative_paths_are_accepted(string path) => Assert.Equal(path, ArtifactPath.Check(path));

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("../x", "'..'")]
    [InlineData("a/../../x", "'..'")]
    [InlineData("./x", "'.'")]
    [InlineData("a//b", "empty")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("C:/x", "absolute")]
    [InlineData("a\\b", "backslash")]
    [InlineData("a\0b", "NUL")]
    [InlineData("a\nb", "control")]
    [InlineData("a/", "empty")]
    public void Unsafe_paths_are_rejected_with_the_reason(string path, string reason)
    {
        var error = Assert.Throws<InvalidParameterException>(() => ArtifactPath.Check(path));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_paths_are_rejected() =>
        Assert.Throws<InvalidParameterException>(() => ArtifactPath.Check(new string('a', 1025)));
}
