using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Bench;

/// <summary>pass-1: one descriptor per message, raw, classic (two-byte) and framed, each sync and async.</summary>
[MemoryDiagnoser]
public class PassOne
{
    private PassWorkload _w = null!;
    private SafeHandle[] _handles = null!;

    [GlobalSetup]
    public void Setup()
    {
        _w = new PassWorkload(1);
        _handles = new SafeHandle[] { _w.DevNull };
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark(Baseline = true, Description = "raw sync")]
    public void RawSync() => _w.Pass();

    [Benchmark(Description = "raw async")]
    public ValueTask RawAsync() => _w.PassAsync();

    [Benchmark(Description = "classic sync")]
    public void ClassicSync()
    {
        _w.Sender.SendDescriptor(_w.DevNull);
        _w.Receiver.ReceiveDescriptor().Dispose();
    }

    [Benchmark(Description = "classic async")]
    public async Task ClassicAsync()
    {
        await _w.Sender.SendDescriptorAsync(_w.DevNull).ConfigureAwait(false);
        (await _w.Receiver.ReceiveDescriptorAsync().ConfigureAwait(false)).Dispose();
    }

    [Benchmark(Description = "framed sync")]
    public void FramedSync()
    {
        _w.Sender.SendFrame(ReadOnlySpan<byte>.Empty, _handles);
        _w.Receiver.ReceiveFrame().Dispose();
    }

    [Benchmark(Description = "framed async")]
    public async Task FramedAsync()
    {
        await _w.Sender.SendFrameAsync(ReadOnlyMemory<byte>.Empty, _handles).ConfigureAwait(false);
        (await _w.Receiver.ReceiveFrameAsync().ConfigureAwait(false)).Dispose();
    }
}

/// <summary>pass-253: a full message (Linux SCM_MAX_FD) of the same descriptor, raw and framed.</summary>
[MemoryDiagnoser]
public class PassMany
{
    private PassWorkload _w = null!;
    private SafeHandle[] _handles = null!;

    [Params(253)]
    public int Descriptors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = new PassWorkload(Descriptors);
        _handles = new SafeHandle[Descriptors];
        Array.Fill<SafeHandle>(_handles, _w.DevNull);
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark(Baseline = true, Description = "raw sync")]
    public void RawSync() => _w.Pass();

    [Benchmark(Description = "raw async")]
    public ValueTask RawAsync() => _w.PassAsync();

    [Benchmark(Description = "framed sync")]
    public void FramedSync()
    {
        _w.Sender.SendFrame(ReadOnlySpan<byte>.Empty, _handles);
        _w.Receiver.ReceiveFrame().Dispose();
    }

    [Benchmark(Description = "framed async")]
    public async Task FramedAsync()
    {
        await _w.Sender.SendFrameAsync(ReadOnlyMemory<byte>.Empty, _handles).ConfigureAwait(false);
        (await _w.Receiver.ReceiveFrameAsync().ConfigureAwait(false)).Dispose();
    }
}

/// <summary>accept: connect to a named endpoint, accept, close both.</summary>
[MemoryDiagnoser]
public class Accept
{
    private string _dir = null!;
    private string _path = null!;
    private FdListener _listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("fdpasser-bench-").FullName;
        _path = Path.Combine(_dir, "accept.sock");
        _listener = FdListener.Create(_path);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Description = "connect + accept")]
    public void ConnectAccept()
    {
        using FdChannel client = FdChannel.Connect(_path);
        using FdChannel server = _listener.Accept().Channel;
    }

    [Benchmark(Description = "connect + accept async")]
    public async Task ConnectAcceptAsync()
    {
        using FdChannel client = FdChannel.Connect(_path);
        FdConnection connection = await _listener.AcceptAsync().ConfigureAwait(false);
        connection.Channel.Dispose();
    }
}

/// <summary>
/// xproc: a round trip with a second process (this program with <c>xproc-server</c>): the client sends one
/// descriptor with one byte, the server receives it, closes it and answers one byte.
/// </summary>
[MemoryDiagnoser]
public class CrossProcess
{
    private string _dir = null!;
    private Process _server = null!;
    private FdChannel _channel = null!;
    private SafeFileHandle _devNull = null!;
    private readonly byte[] _payload = { 1 };
    private readonly byte[] _answer = new byte[1];
    private readonly int[] _send = new int[1];
    private readonly int[] _none = Array.Empty<int>();

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("fdpasser-bench-").FullName;
        string path = Path.Combine(_dir, "xproc.sock");
        _server = CrossProcessPeer.Start(path);
        _channel = CrossProcessPeer.ConnectWhenReady(path, _server);
        _devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        _send[0] = (int)_devNull.DangerousGetHandle();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel.Dispose(); // the server sees end of stream and exits
        if (!_server.WaitForExit(5000))
        {
            _server.Kill();
        }
        _server.Dispose();
        _devNull.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "round trip sync")]
    public void RoundTrip()
    {
        _channel.SendRaw(_payload, _send);
        if (_channel.ReceiveRaw(_answer, _none, out _) != 1)
        {
            throw new InvalidOperationException("The server did not answer.");
        }
    }

    // Pooled like the library's own async methods, so what the column shows is not this method's state machine.
    [Benchmark(Description = "round trip async")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RoundTripAsync()
    {
        await _channel.SendRawAsync(_payload, _send).ConfigureAwait(false);
        var (n, _) = await _channel.ReceiveRawAsync(_answer, _none).ConfigureAwait(false);
        if (n != 1)
        {
            throw new InvalidOperationException("The server did not answer.");
        }
    }
}
