using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The control socket of <c>fdpass hold</c> (mode 0600): a client sends one line, <c>reload</c> or <c>status</c>,
/// gets the answer and the connection is closed. Only this process's user and root are answered.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly FdListener _listener;
    private readonly uint _ownUid;
    private readonly Func<string, PeerCredentials, Task<string>> _answer;

    private ControlServer(FdListener listener, uint ownUid, Func<string, PeerCredentials, Task<string>> answer)
    {
        _listener = listener;
        _ownUid = ownUid;
        _answer = answer;
    }

    public string Path => _listener.Path;

    /// <summary>Creates the socket file at <paramref name="path"/>, mode 0600, answering <paramref name="ownUid"/> and root.</summary>
    /// <param name="path">The socket file.</param>
    /// <param name="ownUid">This process's uid.</param>
    /// <param name="answer">Answers a request line (from the loop of fdpass hold, so it sees a consistent state).</param>
    public static ControlServer Create(string path, uint ownUid, Func<string, PeerCredentials, Task<string>> answer)
    {
        var options = new FdListenerOptions { FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        return new ControlServer(FdListener.Create(path, options), ownUid, answer);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            FdConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (IOException)
            {
                // accept failed (EMFILE while the descriptor table is full): the request waits in the backlog.
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            _ = ServeAsync(connection, cancellationToken);
        }
    }

    private async Task ServeAsync(FdConnection connection, CancellationToken cancellationToken)
    {
        using FdChannel channel = connection.Channel;
        try
        {
            // The request is read before any answer, a refusal too: a client whose request is still unread when
            // the connection closes would see EPIPE or ECONNRESET instead of the answer.
            string line;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(RequestTimeout);
                using FdMessage request = await channel.ReceiveRawAsync(256, 0, timeout.Token).ConfigureAwait(false);
                line = Encoding.ASCII.GetString(request.Payload.Span).Trim();
            }
            string answer = connection.Peer.UserId != _ownUid && connection.Peer.UserId != 0
                ? $"refused: uid {connection.Peer.UserId} is neither uid {_ownUid} nor root\n"
                : await _answer(line, connection.Peer).ConfigureAwait(false);
            await channel.SendRawAsync(Encoding.UTF8.GetBytes(answer), ReadOnlyMemory<int>.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or System.IO.IOException)
        {
            // A client that sent nothing, left early or came during the stop gets no answer; the holder goes on.
        }
    }

    public void Dispose() => _listener.Dispose();
}
