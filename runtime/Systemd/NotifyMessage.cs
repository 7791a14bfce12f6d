using System;
using System.Text;

namespace FdPasser.Systemd;

/// <summary>Builds and checks outgoing notifications, with no I/O.</summary>
internal static class NotifyMessage
{
    public static string With(string? state, string? status)
    {
        if (status is null)
        {
            return state ?? "";
        }
        if (status.Contains('\n'))
        {
            throw new ArgumentException("STATUS= is one line: the text may not contain a newline.", nameof(status));
        }
        return state is null ? "STATUS=" + status : state + "\nSTATUS=" + status;
    }

    /// <summary>The UTF-8 datagram for <paramref name="state"/>; every line must be KEY=VALUE.</summary>
    public static byte[] Encode(string state)
    {
        if (state.Length == 0)
        {
            throw new ArgumentException("A notification needs at least one KEY=VALUE line.", nameof(state));
        }
        if (state.Contains('\0'))
        {
            throw new ArgumentException("A notification may not contain a NUL character: service managers drop such messages.", nameof(state));
        }
        foreach (string line in state.TrimEnd('\n').Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new ArgumentException($"The notification line '{line}' is not KEY=VALUE.", nameof(state));
            }
        }
        byte[] bytes = Encoding.UTF8.GetBytes(state);
        if (bytes.Length > ServiceNotifier.MaxMessageBytes)
        {
            throw new ArgumentException(
                $"The notification is {bytes.Length} bytes; service managers read at most {ServiceNotifier.MaxMessageBytes}.", nameof(state));
        }
        return bytes;
    }
}
