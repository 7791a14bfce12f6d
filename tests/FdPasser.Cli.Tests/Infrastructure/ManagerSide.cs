using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using FdPasser.Systemd;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>
/// The service manager's end of the notify protocol for a test: a NOTIFY_SOCKET (the library's
/// NotificationListener, which has the kernel name every sender) and every notification received on it, in order.
/// </summary>
internal sealed class ManagerSide : IDisposable
{
    private readonly NotificationListener _listener;
    private readonly List<(int Pid, string Text, IReadOnlyList<KeyValuePair<string, string>> Fields)> _received = new();
    private readonly string _directory;

    public ManagerSide()
    {
        _directory = Directory.CreateTempSubdirectory("fdp-manager-").FullName;
        _listener = NotificationListener.Bind(Path.Combine(_directory, "notify"));
    }

    public string Address => _listener.Address;

    /// <summary>Every notification so far, one line each ("pid P: KEY=VALUE | …"), for failure messages.</summary>
    public string Transcript => string.Join('\n', _received.Select(r => $"pid {r.Pid}: {r.Text}"));

    /// <summary>Receives until one notification satisfies <paramref name="match"/>, returning its fields; fails the test after <paramref name="timeout"/>.</summary>
    public IReadOnlyDictionary<string, string> WaitFor(Func<int, IReadOnlyDictionary<string, string>, bool> match, TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            ServiceNotification n;
            try
            {
                n = _listener.ReceiveAsync(cancel.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no notification {what} within {timeout.TotalSeconds} s; received:\n{Transcript}");
                throw;
            }
            using (n)
            {
                var fields = n.Fields.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Last().Value);
                _received.Add((n.Sender.ProcessId, string.Join(" | ", n.Fields.Select(f => $"{f.Key}={f.Value}")), n.Fields));
                if (match(n.Sender.ProcessId, fields))
                {
                    return fields;
                }
            }
        }
    }

    /// <summary>The notifications received so far with <paramref name="key"/>, as (sender pid, fields).</summary>
    public List<(int Pid, IReadOnlyList<KeyValuePair<string, string>> Fields)> With(string key) =>
        _received.Where(r => r.Fields.Any(f => f.Key == key)).Select(r => (r.Pid, r.Fields)).ToList();

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
