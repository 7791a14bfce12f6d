using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;

namespace FdPasser.Cli.Server;

/// <summary>
/// A log whose writes never block the caller: lines go to a bounded queue that one thread writes out. Where the
/// output is not being read (standard output a pipe nobody reads), that thread blocks, not the caller: fdpass hold
/// keeps handling signals, <c>--status</c> and crashes. Lines beyond <see cref="Capacity"/> are dropped and counted,
/// and the count is written once the output moves again.
/// </summary>
internal sealed partial class ServerLog : IDisposable
{
    private Queue<string>? _pending;
    private Thread? _writerThread;
    private long _dropped;
    private bool _closed;

    /// <summary>The most lines held for an output that is not being read.</summary>
    public int Capacity { get; private set; }

    /// <summary>How many lines were dropped because the output was not being read (and the queue was full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A log written by its own thread, holding at most <paramref name="capacity"/> lines not yet written.</summary>
    public static ServerLog NonBlocking(TextWriter writer, int capacity = 1024)
    {
        var log = new ServerLog(writer) { _pending = new Queue<string>(), Capacity = capacity };
        log._writerThread = new Thread(log.WriteOut) { IsBackground = true, Name = "fdpass log writer" };
        log._writerThread.Start();
        return log;
    }

    private void Enqueue(string line)
    {
        lock (_pending!)
        {
            if (_pending.Count >= Capacity)
            {
                _dropped++;
                return;
            }
            _pending.Enqueue(line);
            Monitor.Pulse(_pending);
        }
    }

    private void WriteOut()
    {
        Queue<string> pending = _pending!;
        long reported = 0;
        while (true)
        {
            string line;
            long dropped;
            lock (pending)
            {
                while (pending.Count == 0 && !_closed)
                {
                    Monitor.Wait(pending);
                }
                if (pending.Count == 0)
                {
                    return;
                }
                line = pending.Dequeue();
                dropped = _dropped;
            }
            try
            {
                if (dropped > reported)
                {
                    string stamp = DateTime.Now.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture);
                    _writer.WriteLine($"{stamp} {(dropped - reported).ToString(CultureInfo.InvariantCulture)} log line(s) dropped: the output was not being read");
                    reported = dropped;
                }
                _writer.WriteLine(line);
                _writer.Flush();
            }
            catch (IOException)
            {
                // EPIPE: nobody will read the log again. The lines are dropped; the process goes on.
            }
        }
    }

    /// <summary>Writes what is queued, waiting up to <paramref name="timeout"/> for an output that is not being read.</summary>
    public void Flush(TimeSpan timeout)
    {
        if (_pending is null)
        {
            return;
        }
        lock (_pending)
        {
            _closed = true;
            Monitor.Pulse(_pending);
        }
        _writerThread!.Join(timeout);
    }

    public void Dispose() => Flush(TimeSpan.FromSeconds(2));
}
