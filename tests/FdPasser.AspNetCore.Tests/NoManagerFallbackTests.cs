using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FdPasser.AspNetCore.Tests;

/// <summary>
/// An app with the integration run as a developer runs it (<c>dotnet run</c>, F5): no service manager, so no
/// LISTEN_FDS. The test process itself is such a process.
/// </summary>
public sealed class NoManagerFallbackTests
{
    [Fact]
    public async Task Without_a_service_manager_the_app_serves_on_its_configured_url_and_warns_once()
    {
        var logs = new CollectedLogs();
        await using WebApplication app = Build(logs, builder => builder.WebHost.UseInheritedListeners("web"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await app.StartAsync(timeout.Token);

        string url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
        using var client = new HttpClient();
        Assert.Equal("served", await client.GetStringAsync(new Uri(url), timeout.Token));
        string[] warnings = logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Category.StartsWith("FdPasser", StringComparison.Ordinal))
            .Select(l => l.Message).ToArray();
        string warning = Assert.Single(warnings);
        Assert.Contains("'web'", warning, StringComparison.Ordinal);
        Assert.Contains("LISTEN_FDS", warning, StringComparison.Ordinal);
        await app.StopAsync(timeout.Token);
    }

    [Fact]
    public void With_RequireServiceManager_the_app_refuses_to_start_naming_the_option()
    {
        var logs = new CollectedLogs();
        var e = Assert.Throws<InvalidOperationException>(() => Build(logs, builder => builder.WebHost.UseInheritedListeners(o =>
        {
            o.Names.Add("web");
            o.RequireServiceManager = true;
        })));
        Assert.Contains("'web'", e.Message, StringComparison.Ordinal);
        Assert.Contains("without LISTEN_FDS", e.Message, StringComparison.Ordinal);
        Assert.Contains("InheritedListenerOptions.RequireServiceManager", e.Message, StringComparison.Ordinal);
    }

    internal static WebApplication Build(CollectedLogs logs, Action<WebApplicationBuilder> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        // What ASPNETCORE_URLS or launchSettings.json gives a developer; port 0 so tests never collide.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure(builder);
        WebApplication app = builder.Build();
        app.MapGet("/", () => "served");
        return app;
    }
}

internal sealed record LogLine(string Category, LogLevel Level, string Message);

/// <summary>Every log line of a host, kept for assertions.</summary>
internal sealed class CollectedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public LogLine[] Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CollectedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception)));
    }
}
