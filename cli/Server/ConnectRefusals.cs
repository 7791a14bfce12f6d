using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Server;

/// <summary>
/// Refuses peers whose uid is not allowed, as soon as they are accepted and outside the connection slots: each is
/// sent the error status a refused request gets ("uid N is not allowed to use this server"), so a classic client
/// reads it as the answer to its request, and logged; the socket is then kept for at most
/// <see cref="Linger"/>, until the client's request arrives, so that a client writing just after connecting is not
/// answered with EPIPE; at most <see cref="MaxLingering"/> refused sockets are kept at once (a flood of refused
/// peers is closed at once), so they take no more than a few of the descriptors the server keeps free.
/// </summary>
internal sealed class ConnectRefusals : IDisposable
{
    /// <summary>How many refusals of one uid are logged line by line in <see cref="LogWindow"/>; the rest are counted.</summary>
    public const int LinesPerWindow = 20;

    public static readonly TimeSpan LogWindow = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest time a refused socket is kept waiting for the client's request: long enough for a client on a loaded
    /// or emulated machine (half a second was not, under qemu-user), and cheap, as at most <see cref="MaxLingering"/> wait.
    /// </summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    /// <summary>How many refused sockets may wait for their clients' requests at once.</summary>
    public const int MaxLingering = 8;

    /// <summary>The refusal goes into an empty socket buffer, so it never waits; a peer that cannot take it is cut off after this.</summary>
    private static readonly TimeSpan SendTime = TimeSpan.FromMilliseconds(200);

    private readonly ServerLog _log;
    private readonly LogThrottle _throttle = new(LinesPerWindow, LogWindow);
    private readonly Timer _report;
    private int _lingering;

    public ConnectRefusals(ServerLog log)
    {
        _log = log;
        // Counts are reported soon after their window ends, also when the peer has stopped connecting.
        _report = new Timer(_ => ReportEnded(DateTime.UtcNow), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Stops the reports, and reports every count still held, ended or not.</summary>
    public void Dispose()
    {
        _report.Dispose();
        ReportEnded(DateTime.MaxValue);
    }

    /// <summary>Refuses <paramref name="connection"/> in the background; the caller does not wait.</summary>
    public void Refuse(FdConnection connection) => _ = RefuseAsync(connection);

    private async Task RefuseAsync(FdConnection connection)
    {
        await Task.Yield();
        string message = $"uid {connection.Peer.UserId} is not allowed to use this server";
        FdChannel channel = connection.Channel;
        try
        {
            using (var timeout = new CancellationTokenSource(SendTime))
            {
                await channel.SendErrorAsync(CliTarget.Current.Constants.EACCES, message, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Closed(connection, message, "the refusal could not be sent at once; closed the connection");
            return;
        }
        catch (FdPassingException e)
        {
            Closed(connection, message, $"sending the refusal failed ({e.Message}); closed the connection");
            return;
        }
        // Logged before the wait for the request, which only spares the client an EPIPE.
        Log(connection.Peer, $"refused at connect (EACCES: {message}); closing the connection");
        try
        {
            if (Interlocked.Increment(ref _lingering) <= MaxLingering)
            {
                await AwaitRequestAsync(channel).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _lingering);
            channel.Dispose();
        }
    }

    private void Closed(FdConnection connection, string message, string outcome)
    {
        connection.Channel.Dispose();
        Log(connection.Peer, $"refused at connect (EACCES: {message}); {outcome}");
    }

    private void Log(PeerCredentials peer, string line)
    {
        LogThrottle.Verdict verdict = _throttle.Admit(peer.UserId, DateTime.UtcNow);
        if (verdict.EndedBefore is { } ended)
        {
            Report(ended);
        }
        if (verdict.Write)
        {
            _log.Peer(peer, verdict.Last
                ? $"{line}; that is {LinesPerWindow} refusals of uid {peer.UserId} within {LogWindow.TotalSeconds:0} s: further refusals of this uid are counted, not logged, until the window ends"
                : line);
        }
    }

    private void ReportEnded(DateTime now)
    {
        foreach (LogThrottle.Ended ended in _throttle.TakeEnded(now))
        {
            Report(ended);
        }
    }

    private void Report(LogThrottle.Ended ended) =>
        _log.Write($"uid {ended.Uid}: refusals not logged one by one: {ended.HeldBack} in the {LogWindow.TotalSeconds:0} s from {ended.Start.ToLocalTime():HH:mm:ss.fff}");

    /// <summary>Waits (at most <see cref="Linger"/>) for the client's first bytes, or its close; whatever comes is dropped.</summary>
    private static async Task AwaitRequestAsync(FdChannel channel)
    {
        using var linger = new CancellationTokenSource(Linger);
        try
        {
            using FdMessage ignored = await channel.ReceiveRawAsync(4096, maxDescriptors: 0, linger.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or FdPassingException or System.IO.IOException)
        {
            // Timed out, closed, or broke the protocol: the socket is closed next either way.
        }
    }
}
