using Cairn.Events;
using Cairn.Governance;

namespace Cairn.Tests.Events;

[Trait("Store", "none")]
public sealed class EventCatalogueTests
{
    [Theory]
    [InlineData("models/a.b.m", "/a/b")]
    [InlineData("models/a.b.m/versions/3", "/a/b")]
    [InlineData("models/a.b.m/versions/3/files/weights/model.bin", "/a/b")]
    [InlineData("models/a.b.m/aliases/champion", "/a/b")]
    [InlineData("models/plain", "/")]
    [InlineData("models/x.y/z", "/")]
    [InlineData("models/x.y/z/versions/1", "/")]
    [InlineData("runs/abc", "/")]
    [InlineData("datasets/ns:name", "/")]
    public void A_resource_belongs_to_its_models_namespace_and_everything_else_to_the_root(string resource, string ns) =>
        Assert.Equal(ns, EventCatalogue.Describe("model.update", resource).Namespace);

    [Fact]
    public void Tokens_and_webhooks_are_for_root_admins_only()
    {
        Assert.Equal(new EventKind("token.created", "/", Role.Admin), EventCatalogue.Describe("token.create", "tokens/ci"));
        Assert.Equal(Role.Admin, EventCatalogue.Describe("webhook.update", "webhooks/1").ReadRole);
        Assert.Equal(Role.Reader, EventCatalogue.Describe("version.create", "models/a.m/versions/1").ReadRole);
    }

    [Theory]
    [InlineData("""{"status":"PENDING_REGISTRATION"}""", """{"status":"READY"}""", "model_version.ready")]
    [InlineData("""{"status":"PENDING_REGISTRATION"}""", """{"status":"FAILED_REGISTRATION"}""", "model_version.failed")]
    [InlineData("""{"status":"READY"}""", """{"status":"READY","description":"x"}""", "model_version.updated")]
    public void A_version_whose_files_become_ready_or_fail_has_its_own_event(string before, string after, string type) =>
        Assert.Equal(type, EventCatalogue.Describe("version.update", "models/a.m/versions/1", before, after).Type);

    [Theory]
    [InlineData("RUNNING", "FINISHED", "run.finished")]
    [InlineData("RUNNING", "FAILED", "run.finished")]
    [InlineData("SCHEDULED", "KILLED", "run.finished")]
    [InlineData("RUNNING", "RUNNING", "run.updated")]
    [InlineData("FINISHED", "FINISHED", "run.updated")]
    [InlineData("FINISHED", "RUNNING", "run.updated")]
    public void A_run_reaching_a_terminal_status_is_finished(string from, string to, string type) =>
        Assert.Equal(type, EventCatalogue.Describe("run.update", "runs/r", $$"""{"status":"{{from}}"}""", $$"""{"status":"{{to}}"}""").Type);

    [Fact]
    public void The_special_types_are_in_the_catalogue_so_subscriptions_to_them_are_accepted()
    {
        foreach (var type in new[] { "model_version.ready", "model_version.failed", "run.finished" })
        {
            Assert.Contains(type, EventCatalogue.AllTypes);
            EventCatalogue.CheckPattern(type, "types");
        }
        Assert.Throws<InvalidParameterException>(() => EventCatalogue.CheckPattern("model_versoin.*", "types"));
    }
}
