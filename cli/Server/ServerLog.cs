using System;
using System.Globalization;
using System.IO;

namespace FdPasser.Cli.Server;

/// <summary>
/// One line per event, time-stamped, written whole (requests from many clients do not interleave within a line).
/// Control characters a client put in its request are escaped, so a request cannot forge a line.
/// </summary>
internal sealed partial class ServerLog
{
    private readonly TextWriter _writer;
    private readonly object _gate = new();

    public ServerLog(TextWriter writer)
    {
        _writer = writer;
    }

    public void Write(string line)
    {
        string stamp = DateTime.Now.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture);
        if (_pending is not null)
        {
            Enqueue($"{stamp} {OneLine.Escape(line)}");
            return;
        }
        lock (_gate)
        {
            _writer.WriteLine($"{stamp} {OneLine.Escape(line)}");
            _writer.Flush();
        }
    }

    public void Peer(PeerCredentials peer, string line) =>
        Write($"pid {(peer.ProcessId < 0 ? "?" : peer.ProcessId.ToString(CultureInfo.InvariantCulture))} uid {peer.UserId}: {line}");
}
