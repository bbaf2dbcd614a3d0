using Npgsql;
using static Cairn.IntegrationTests.Webhooks.WebhookServers;

namespace Cairn.IntegrationTests.Webhooks;

/// <summary>
/// Issue 16 item 5 with two <c>cairn serve</c> replicas on one PostgreSQL database: the replica that holds a webhook's
/// lease is killed (<c>kill -9</c>) while a delivery waits for its answer; the other takes the webhook over when the
/// lease runs out, and every event reaches the receiver (verified in both schemes), under the same delivery ids.
/// </summary>
public sealed class WebhookReplicaTests : IAsyncLifetime
{
    private readonly string _shared = Directory.CreateTempSubdirectory("cairn-webhook-replicas-").FullName;
    private Postgres? _database;
    private NodeReceiver? _receiver;
    private readonly List<ServerProcess> _servers = [];

    public async Task InitializeAsync()
    {
        if (Postgres.Server is null)
        {
            return;
        }
        _database = Postgres.CreateDatabase();
        _receiver = await NodeReceiver.StartAsync(Secret);
        // One after the other: the second finds the migrations applied (starting together is ReplicaTests' concern).
        _servers.Add(await StartAsync(Path.Combine(_shared, "a"), _database.ConnectionString));
        _servers.Add(await StartAsync(Path.Combine(_shared, "b"), _database.ConnectionString));
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
        _database?.Dispose();
        Directory.Delete(_shared, recursive: true);
    }

    [PostgresFact]
    public async Task The_other_replica_takes_over_when_the_delivering_one_is_killed_and_every_event_arrives()
    {
        var receiver = _receiver!;
        // Every delivery is slow (well inside the 2 s attempt timeout), so the delivering replica holds the webhook's lease
        // for many seconds: a dispatcher gives its lease back when its cycle ends, and with only a couple of slow answers
        // a loaded machine could let the cycle end before the test had read who held it.
        await receiver.BehaveAsync(new { delay_ms = 1000, times = 12 });
        using var a = Client(_servers[0]);
        using var b = Client(_servers[1]);
        var webhook = await CreateWebhookAsync(a, receiver.Url());
        var after = await HeadAsync(a);

        // Events written through both replicas.
        await RegisterAsync(a, "/risk", "fraud", versions: 2);
        await RegisterAsync(b, "/risk", "churn", versions: 2);
        var events = await EventSeqsAfterAsync(b, after);
        await receiver.WaitForAsync(d => d.Count > 0, TimeSpan.FromSeconds(20), "a first delivery in flight");

        var holder = await LeaseHolderAsync(webhook);
        var delivering = _servers.Single(s => s.ProcessId == holder);
        var survivor = _servers.Single(s => s != delivering);
        await delivering.KillAsync();

        using var api = Client(survivor);
        var log = await WaitForLogAsync(api, webhook, l => l.Count(d => (long)d["event_seq"]! > after) == events.Count && l.All(d => (string?)d["state"] == "SUCCEEDED"),
            TimeSpan.FromSeconds(40), "every event delivered by the surviving replica");

        var received = await receiver.DeliveriesAsync();
        // At least once: a delivery the killed replica had in flight may arrive twice (same id, same body, which
        // AssertEveryEventDelivered checks), or once when its answer was recorded before the kill; none may be missing.
        AssertEveryEventDelivered(after, events, log, received);
    }

    /// <summary>The process id of the replica whose dispatcher leases the webhook now (its lease owner is <c>host:pid:nonce</c>).</summary>
    private async Task<int> LeaseHolderAsync(string webhook)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT lease_owner FROM webhooks WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", webhook);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (await command.ExecuteScalarAsync() is string owner)
            {
                return int.Parse(owner.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            Assert.True(DateTime.UtcNow < deadline, "No replica leased the webhook.");
            await Task.Delay(50);
        }
    }
}
