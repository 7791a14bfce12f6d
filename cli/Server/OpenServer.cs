using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Server;

/// <summary>
/// The accept loop: every connection is served by its own <see cref="ClientConnection"/>, concurrently, until
/// <c>stop</c> is cancelled; then open connections get a moment to finish and the listener is left to its owner.
/// </summary>
internal sealed class OpenServer
{
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(2);

    private readonly FdListener _listener;
    private readonly FileOpener _opener;
    private readonly ServerOptions _options;
    private readonly ServerLog _log;
    private readonly ConcurrentDictionary<Task, bool> _connections = new();

    public OpenServer(FdListener listener, FileOpener opener, ServerOptions options, ServerLog log)
    {
        _listener = listener;
        _opener = opener;
        _options = options;
        _log = log;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            FdConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (FdPassingException e)
            {
                // EMFILE, ENFILE, ECONNABORTED…: the listener is fine; try again shortly.
                _log.Write("accept failed: " + e.Message);
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            Task served = ServeAsync(connection, stop);
            _connections.TryAdd(served, true);
            _ = served.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        Task[] open = _connections.Keys.ToArray();
        if (open.Length > 0)
        {
            await Task.WhenAny(Task.WhenAll(open), Task.Delay(DrainTime, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(FdConnection connection, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await new ClientConnection(connection, _opener, _options, _log).RunAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One client's failure never ends the server.
            _log.Peer(connection.Peer, "connection failed: " + OneLine.Of(e));
            connection.Channel.Dispose();
        }
    }
}
