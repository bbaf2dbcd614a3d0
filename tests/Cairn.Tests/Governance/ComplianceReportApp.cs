using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Compliance;

/// <summary>A clock the test moves by hand, so that every change is recorded at a time the test names.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public DateTimeOffset Now => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    /// <summary>Moves the clock to <paramref name="time"/> (never backwards).</summary>
    public void Set(DateTimeOffset time)
    {
        Assert.True(time >= Now, "the clock only moves forward");
        Interlocked.Exchange(ref _ticks, time.UtcTicks);
    }
}

/// <summary>The in-process server on a hand-moved clock; <c>token</c> auth when asked.</summary>
public sealed class ClockedApp(string auth = "none") : CairnApp(auth)
{
    /// <summary>Day 0 of every report test: 2026-03-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Day0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public ManualClock Clock { get; } = new(Day0);

    /// <summary>Day <paramref name="n"/> (fractions allowed) after <see cref="Day0"/>.</summary>
    public static DateTimeOffset Day(double n) => Day0.AddDays(n);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
