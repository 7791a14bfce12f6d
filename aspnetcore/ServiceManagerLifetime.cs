using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Diagnostics;
using FdPasser.AspNetCore.Draining;
using FdPasser.AspNetCore.Handover;
using FdPasser.AspNetCore.Transport;
using FdPasser.Systemd;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FdPasser.AspNetCore;

/// <summary>
/// The host's start and stop told to the service manager: READY=1 once every hosted service (Kestrel among them)
/// has started, so the manager hands traffic over only to a generation that listens; on stop, STOPPING=1 and the
/// drain, before Kestrel stops.
/// </summary>
internal sealed partial class ServiceManagerLifetime : IHostedLifecycleService
{
    private readonly ServiceNotifier _notifier;
    private readonly InheritedDescriptors _inherited;
    private readonly ConnectionDrain _drain;
    private readonly IServer _server;
    private readonly ServiceManagerOptions _options;
    private readonly ILogger<ServiceManagerLifetime> _logger;
    private readonly HandoverChannel _channel;
    private readonly ConnectionHandoverSettings _handover;
    private readonly ConnectionHandover _sender;
    private readonly ConnectionAdoption _adoption;
    private readonly ConnectionRegistry _registry;
    private readonly CancellationTokenSource _stopAdopting = new();
    private Task _adopting = Task.CompletedTask;

    public ServiceManagerLifetime(
        ServiceNotifier notifier, InheritedDescriptors inherited, ConnectionDrain drain, IServer server,
        IOptions<ServiceManagerOptions> options, ILogger<ServiceManagerLifetime> logger,
        HandoverChannel channel, ConnectionHandoverSettings handover, ConnectionHandover sender, ConnectionAdoption adoption,
        ConnectionRegistry registry)
    {
        _registry = registry;
        _notifier = notifier;
        _inherited = inherited;
        _drain = drain;
        _server = server;
        _options = options.Value;
        _logger = logger;
        _channel = channel;
        _handover = handover;
        _sender = sender;
        _adoption = adoption;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        HandoverTrace.Mark("started");
        if (_inherited.FromLauncher)
        {
            _notifier.MainPid(Environment.ProcessId);
        }
        ICollection<string>? addresses = _server.Features.Get<IServerAddressesFeature>()?.Addresses;
        string status = addresses is { Count: > 0 } ? "listening on " + string.Join(", ", addresses) : "started";
        if (_handover.Enabled)
        {
            // Listeners are bound: connections a predecessor hands over can be yielded to Kestrel by name.
            _adopting = _adoption.RunAsync(_channel, _stopAdopting.Token);
            Task handoverWarmUp = HandoverWarmUp.RunAsync(_stopAdopting.Token);
            if (_options.WarmUpPath is { } path)
            {
                await RequestWarmUp.RunAsync(_registry, path, cancellationToken).ConfigureAwait(false);
            }
            await handoverWarmUp.ConfigureAwait(false);
            // The start's garbage goes now, before READY=1: otherwise the first collection (which stops every thread)
            // tends to fall in the first milliseconds of serving the connections a predecessor hands over.
            GC.Collect();
        }
        HandoverTrace.Mark("ready");
        NotifyResult sent = _notifier.Ready(status);
        LogReady(_logger, status, sent);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        HandoverTrace.Mark("drain");
        var clock = Stopwatch.StartNew();
        TimeSpan Left() => _options.DrainTimeout - clock.Elapsed;
        _notifier.Stopping($"draining: no new connections, {_drain.Waiting} accepted waiting for a first request");
        _drain.StopAccepting();
        await _stopAdopting.CancelAsync().ConfigureAwait(false);
        Task<int> firstRequests = _drain.WaitForFirstRequestsAsync(_options.DrainTimeout, cancellationToken);
        if (_handover.Enabled)
        {
            int taken = await _sender.RunAsync(_channel, Left(), cancellationToken).ConfigureAwait(false);
            _notifier.Status($"draining: {taken} connections handed to the next generation");
        }
        // What was not handed over ends gracefully: responses say Connection: close, idle connections stay open.
        _drain.BeginClosing();
        int left = await firstRequests.ConfigureAwait(false);
        if (left > 0)
        {
            LogDrainTimedOut(_logger, left, _options.DrainTimeout.TotalSeconds);
        }
        int open = await _drain.WaitForConnectionsAsync(Left(), cancellationToken).ConfigureAwait(false);
        _notifier.Status(left == 0 && open == 0 ? "stopping: finishing requests"
            : left > 0 ? $"stopping: {left} connections had not begun a request in time" : $"stopping: {open} idle connections are closed");
        try
        {
            await _adopting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException)
        {
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "READY=1 STATUS={Status} ({Result})")]
    private static partial void LogReady(ILogger logger, string status, NotifyResult result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} accepted connections had not begun a request within {Seconds} s (they sent none, or not a whole request head); the stop goes on without waiting for them")]
    private static partial void LogDrainTimedOut(ILogger logger, int count, double seconds);
}
