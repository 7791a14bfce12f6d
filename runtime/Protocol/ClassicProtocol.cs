using System;
using System.Text;

namespace FdPasser.Protocol;

/// <summary>
/// The classic two-byte protocol of send_fd/recv_fd (File::FDpasser, APUE): optional error text, a NUL, then a
/// status byte; status 0 carries exactly one descriptor, attached to those bytes.
/// </summary>
internal static class ClassicProtocol
{
    /// <summary>The most error text a receiver accepts before the NUL (the original reads 4096 bytes at once).</summary>
    public const int MaxTextLength = 4094;

    public static readonly byte[] Success = { 0, 0 };

    /// <summary>The status byte for an error code: the code mod 256, and 1 where that is 0 (as the original does).</summary>
    public static byte StatusFor(int errorCode)
    {
        int status = Math.Abs(errorCode % 256);
        return (byte)(status == 0 ? 1 : status);
    }

    /// <summary>Error text (NULs dropped, cut to fit) followed by NUL and the status byte.</summary>
    public static byte[] EncodeError(int errorCode, string? message)
    {
        string text = (message ?? "").Replace("\0", "", StringComparison.Ordinal);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int length = Math.Min(bytes.Length, MaxTextLength);
        byte[] wire = new byte[length + 2];
        Array.Copy(bytes, wire, length);
        wire[length] = 0;
        wire[length + 1] = StatusFor(errorCode);
        return wire;
    }
}

/// <summary>
/// Reads the bytes of one classic message from however they arrive. It never asks for more than the message still
/// needs, so it cannot consume a byte of the next message. Descriptors are not its business: the message's
/// <see cref="ReceivedDescriptors"/> owns them.
/// </summary>
internal struct ClassicDecoder
{
    private byte[]? _text;
    private int _textLength;

    public ClassicDecoder()
    {
        Status = -1;
    }

    /// <summary>The status byte, or -1 while the message is incomplete.</summary>
    public int Status { get; private set; }

    public bool Complete => Status >= 0;

    /// <summary>True once the NUL before the status byte was read: the point where the message's descriptor may ride.</summary>
    public bool SawNul { get; private set; }

    /// <summary>How many bytes to ask for next: the status alone after a NUL, else two.</summary>
    public int Want => SawNul ? 1 : 2;

    public string? Text => _textLength == 0 ? null : Encoding.UTF8.GetString(_text!, 0, _textLength);

    /// <summary>Consumes bytes; false where the text before the NUL exceeds <see cref="ClassicProtocol.MaxTextLength"/>.</summary>
    public bool AddBytes(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (Complete)
            {
                return false;
            }
            if (SawNul)
            {
                Status = b;
            }
            else if (b == 0)
            {
                SawNul = true;
            }
            else
            {
                if (_textLength == ClassicProtocol.MaxTextLength)
                {
                    return false;
                }
                _text ??= new byte[64];
                if (_textLength == _text.Length)
                {
                    Array.Resize(ref _text, Math.Min(_text.Length * 2, ClassicProtocol.MaxTextLength));
                }
                _text[_textLength++] = b;
            }
        }
        return true;
    }
}
