using System;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Server;

/// <summary>
/// Reads NUL-terminated requests from a channel, at most <see cref="MaxRequestLength"/> bytes each. Bytes after
/// a NUL are kept for the next request. Any descriptor a client sends with its request is closed and the
/// request refused (the library closes what arrives beyond what a receive accepts, here none).
/// </summary>
internal sealed class RequestReader
{
    /// <summary>The longest request, NUL included: what the classic receiver's buffer holds.</summary>
    public const int MaxRequestLength = 4096;

    private readonly FdChannel _channel;
    private readonly byte[] _buffer = new byte[MaxRequestLength];
    private int _filled;
    private int _consumed;

    public RequestReader(FdChannel channel)
    {
        _channel = channel;
    }

    /// <summary>The next request's bytes without their NUL; null where the client closed cleanly between requests.</summary>
    /// <exception cref="RequestException">The request is too long, or the connection ended in the middle of it.</exception>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_consumed > 0)
        {
            Array.Copy(_buffer, _consumed, _buffer, 0, _filled - _consumed);
            _filled -= _consumed;
            _consumed = 0;
        }
        while (true)
        {
            int nul = Array.IndexOf(_buffer, (byte)0, 0, _filled);
            if (nul >= 0)
            {
                _consumed = nul + 1;
                return _buffer.AsSpan(0, nul).ToArray();
            }
            if (_filled == _buffer.Length)
            {
                throw new RequestException($"the request is longer than {MaxRequestLength} bytes");
            }
            using FdMessage message = await _channel.ReceiveRawAsync(_buffer.Length - _filled, maxDescriptors: 0, cancellationToken).ConfigureAwait(false);
            if (message.Payload.Length == 0)
            {
                if (_filled == 0)
                {
                    return null;
                }
                throw new RequestException("the client closed the connection in the middle of a request");
            }
            message.Payload.Span.CopyTo(_buffer.AsSpan(_filled));
            _filled += message.Payload.Length;
        }
    }
}

/// <summary>A request that cannot be read or understood; the connection is answered with an error and closed.</summary>
internal sealed class RequestException : Exception
{
    public RequestException(string message)
        : base(message)
    {
    }
}
