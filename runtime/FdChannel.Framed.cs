using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

// Framed mode: many descriptors with a payload per message, each frame's descriptors bound to that frame
// (docs/wire-format.md).
public sealed partial class FdChannel
{
    /// <summary>
    /// Sends a frame: <paramref name="payload"/> with up to <see cref="MaxDescriptorsPerMessage"/> descriptors.
    /// The caller keeps its handles. The peer reads it with <see cref="ReceiveFrame"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Too many descriptors for one message: nothing was sent.</exception>
    public void SendFrame(ReadOnlySpan<byte> payload, ReadOnlySpan<SafeHandle> handles)
    {
        CheckFrame(payload.Length, handles.Length);
        ThrowIfUnusable();
        ThrowIfStreams("Framed mode");
        using var exclusive = new Exclusive(this, send: true);
        byte[] frame = BuildFrame(FrameHeader.KindMessage, handles.Length, payload);
        int[] fds = new int[handles.Length];
        AddRefs(handles, fds);
        try
        {
            SendAll(frame, fds, $"sending a frame with {handles.Length} descriptor(s)");
        }
        finally
        {
            ReleaseRefs(handles);
        }
    }

    /// <summary>Sends an error frame: the peer's <see cref="ReceiveFrame"/> throws <see cref="FdPeerErrorException"/>.</summary>
    public void SendFrameError(int errorCode, string? message = null)
    {
        ThrowIfUnusable();
        ThrowIfStreams("Framed mode");
        using var exclusive = new Exclusive(this, send: true);
        SendAll(ErrorFrame(errorCode, message), default, "sending an error frame");
    }

    /// <summary>Sends a frame asynchronously; see <see cref="SendFrame"/>.</summary>
    public async ValueTask SendFrameAsync(ReadOnlyMemory<byte> payload, ReadOnlyMemory<SafeHandle> handles, CancellationToken cancellationToken = default)
    {
        CheckFrame(payload.Length, handles.Length);
        ThrowIfUnusable();
        ThrowIfStreams("Framed mode");
        using var exclusive = new Exclusive(this, send: true);
        byte[] frame = BuildFrame(FrameHeader.KindMessage, handles.Length, payload.Span);
        int[] fds = new int[handles.Length];
        AddRefs(handles.Span, fds);
        try
        {
            await SendAllAsync(frame, fds, $"sending a frame with {handles.Length} descriptor(s)", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseRefs(handles.Span);
        }
    }

    private void CheckFrame(int payloadLength, int descriptors)
    {
        if (descriptors > MaxDescriptorsPerMessage)
        {
            throw new ArgumentException(
                $"{descriptors} descriptors do not fit in one message: this system passes at most {MaxDescriptorsPerMessage}. Nothing was sent.",
                "handles");
        }
        if (payloadLength > int.MaxValue - FrameHeader.Size)
        {
            throw new ArgumentException("The payload is too large for one frame.", "payload");
        }
    }

    private static byte[] BuildFrame(byte kind, int descriptors, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, descriptors, payload.Length).Write(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    private static byte[] ErrorFrame(int errorCode, string? message)
    {
        byte[] text = Encoding.UTF8.GetBytes(message ?? "");
        byte[] payload = new byte[4 + text.Length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, errorCode);
        text.CopyTo(payload, 4);
        return BuildFrame(FrameHeader.KindError, 0, payload);
    }

    // One receive runs at a time (Exclusive), so every frame receive of this channel can share one array for the
    // descriptor numbers a recvmsg returns; FdMessage copies them out into handles.
    private int[]? _frameDescriptorScratch;

    /// <summary>
    /// Receives one frame. Dispose the returned message (or take its descriptors) so that no descriptor leaks.
    /// </summary>
    /// <exception cref="FdPeerErrorException">The peer sent an error frame.</exception>
    /// <exception cref="FdProtocolException">A malformed frame, or descriptors that do not match the frame; they were closed.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    public FdMessage ReceiveFrame()
    {
        ThrowIfUnusable();
        ThrowIfStreams("Framed mode");
        using var exclusive = new Exclusive(this, send: false);
        var reader = new FrameReader(this);
        try
        {
            Span<byte> header = stackalloc byte[FrameHeader.Size];
            int[] fds = _frameDescriptorScratch ??= new int[MaxDescriptorsPerMessage];
            while (!reader.HeaderComplete)
            {
                int n = ReceiveSome(header.Slice(reader.HeaderRead), fds, out ReceiveResult result, "receiving a frame header");
                reader.OnHeaderBytes(header, n, fds.AsSpan(0, result.Descriptors), result);
            }
            byte[] payload = reader.Header.PayloadLength == 0 ? Array.Empty<byte>() : new byte[reader.Header.PayloadLength];
            int read = 0;
            while (read < payload.Length)
            {
                int n = ReceiveSome(payload.AsSpan(read), fds, out ReceiveResult result, "receiving a frame payload");
                reader.OnPayloadBytes(n, fds.AsSpan(0, result.Descriptors), result);
                read += n;
            }
            return reader.Finish(payload);
        }
        catch
        {
            reader.CloseAll();
            throw;
        }
    }

    /// <summary>Receives one frame asynchronously; see <see cref="ReceiveFrame"/>.</summary>
    public async ValueTask<FdMessage> ReceiveFrameAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        ThrowIfStreams("Framed mode");
        using var exclusive = new Exclusive(this, send: false);
        var reader = new FrameReader(this);
        try
        {
            byte[] header = new byte[FrameHeader.Size];
            int[] fds = _frameDescriptorScratch ??= new int[MaxDescriptorsPerMessage];
            while (!reader.HeaderComplete)
            {
                var (n, result) = await ReceiveSomeAsync(header.AsMemory(reader.HeaderRead), fds, "receiving a frame header", cancellationToken).ConfigureAwait(false);
                reader.OnHeaderBytes(header, n, fds.AsSpan(0, result.Descriptors), result);
            }
            byte[] payload = reader.Header.PayloadLength == 0 ? Array.Empty<byte>() : new byte[reader.Header.PayloadLength];
            int read = 0;
            while (read < payload.Length)
            {
                var (n, result) = await ReceiveSomeAsync(payload.AsMemory(read), fds, "receiving a frame payload", cancellationToken).ConfigureAwait(false);
                reader.OnPayloadBytes(n, fds.AsSpan(0, result.Descriptors), result);
                read += n;
            }
            return reader.Finish(payload);
        }
        catch (OperationCanceledException)
        {
            reader.CloseAll();
            if (reader.Started)
            {
                _brokenReason = "a receive was cancelled in the middle of a frame";
            }
            throw;
        }
        catch
        {
            reader.CloseAll();
            throw;
        }
    }

    /// <summary>The state of one frame being read: bytes so far and the descriptors that came with them.</summary>
    private sealed class FrameReader
    {
        private readonly FdChannel _channel;
        private int[] _descriptors = Array.Empty<int>();
        private int _count;
        private string? _problem;
        private int _problemClosed;

        public FrameReader(FdChannel channel) => _channel = channel;

        public int HeaderRead { get; private set; }

        public bool HeaderComplete => HeaderRead == FrameHeader.Size;

        public bool Started => HeaderRead > 0 || _count > 0;

        public FrameHeader Header { get; private set; }

        public void OnHeaderBytes(ReadOnlySpan<byte> header, int n, ReadOnlySpan<int> fds, in ReceiveResult result)
        {
            Keep(fds);
            if (result.Problem != ControlProblem.None)
            {
                // The bytes are intact (the kernel cut only control data, e.g. at RLIMIT_NOFILE): read the rest of
                // the frame to stay in step, then report.
                _problem ??= _channel.Describe(result);
                _problemClosed += result.Closed;
            }
            if (n == 0)
            {
                if (HeaderRead == 0 && _count == 0)
                {
                    throw new EndOfStreamException("The peer closed the connection.");
                }
                throw new EndOfStreamException("The peer closed the connection in the middle of a frame header.");
            }
            HeaderRead += n;
            if (HeaderComplete)
            {
                if (FrameHeader.TryRead(header, _channel.MaxDescriptorsPerMessage, _channel.MaxFramePayload, out FrameHeader parsed) is { } error)
                {
                    throw _channel.Break("Receiving a frame failed: " + error, CloseAll());
                }
                Header = parsed;
            }
        }

        public void OnPayloadBytes(int n, ReadOnlySpan<int> fds, in ReceiveResult result)
        {
            if (fds.Length > 0 || result.Problem != ControlProblem.None)
            {
                // Descriptors only ride with a header: here they mean the stream is out of step.
                foreach (int fd in fds)
                {
                    _channel._transport.CloseDescriptor(fd);
                }
                throw _channel.Break("Receiving a frame failed: descriptors arrived inside a frame's payload", result.Closed + fds.Length + CloseAll());
            }
            if (n == 0)
            {
                throw new EndOfStreamException("The peer closed the connection in the middle of a frame's payload.");
            }
        }

        public FdMessage Finish(byte[] payload)
        {
            if (_problem is not null)
            {
                int closed = _problemClosed + CloseAll();
                throw new FdProtocolException($"Receiving a frame failed: {_problem}.", closed, channelBroken: false);
            }
            if (Header.Kind == FrameHeader.KindError)
            {
                CloseAll();
                int code = payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                string? text = payload.Length > 4 ? Encoding.UTF8.GetString(payload, 4, payload.Length - 4) : null;
                throw new FdPeerErrorException(code, text);
            }
            if (_count != Header.DescriptorCount)
            {
                int arrived = _count;
                int closed = CloseAll();
                throw new FdProtocolException(
                    $"The frame announced {Header.DescriptorCount} descriptor(s) but {arrived} arrived; they were closed.", closed, channelBroken: false);
            }
            var message = new FdMessage(payload, _descriptors.AsSpan(0, _count));
            _count = 0;
            return message;
        }

        private void Keep(ReadOnlySpan<int> fds)
        {
            if (fds.Length == 0)
            {
                return;
            }
            if (_count + fds.Length > _descriptors.Length)
            {
                Array.Resize(ref _descriptors, _count + fds.Length);
            }
            fds.CopyTo(_descriptors.AsSpan(_count));
            _count += fds.Length;
        }

        public int CloseAll()
        {
            int closed = _count;
            for (int i = 0; i < _count; i++)
            {
                _channel._transport.CloseDescriptor(_descriptors[i]);
            }
            _count = 0;
            return closed;
        }
    }
}
