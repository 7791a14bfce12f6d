using System;
using System.Globalization;
using System.Net;

namespace FdPasser.Cli.Hold;

/// <summary>What kind of socket a listener is.</summary>
internal enum ListenerKind
{
    Tcp,
    Unix,

    /// <summary>Not bound by fdpass hold: taken from its own LISTEN_FDS by name (a service manager's socket unit owns it).</summary>
    Inherited,
}

/// <summary>
/// One <c>--listen NAME=tcp:HOST:PORT</c> or <c>--listen NAME=unix:PATH</c> (<c>unix:@NAME</c> for a Linux abstract
/// socket), or <c>--listen NAME=inherited</c> (the listener named NAME that fdpass hold's own manager passed it).
/// Parsing does no I/O; <see cref="BoundListener"/> binds it.
/// </summary>
internal sealed record ListenerSpec(string Name, ListenerKind Kind, IPAddress? Address, int Port, string? Path)
{
    public override string ToString() => Kind switch
    {
        ListenerKind.Tcp => $"{Name}=tcp:{(Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port}",
        ListenerKind.Inherited => $"{Name}={InheritedForm}",
        _ => $"{Name}=unix:{Path}",
    };

    /// <summary>The SPEC of a listener taken from fdpass hold's own LISTEN_FDS.</summary>
    public const string InheritedForm = "inherited";

    /// <summary>Parses one spec; the message of the exception says what is wrong with it.</summary>
    public static ListenerSpec Parse(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"'{text}' is not NAME=tcp:HOST:PORT or NAME=unix:PATH");
        }
        string name = text.Substring(0, eq);
        if (!FdPasser.Systemd.DescriptorNames.IsValid(name))
        {
            throw new FormatException($"'{name}' is not a descriptor name: 1 to 255 printable ASCII characters, no spaces or ':'");
        }
        string address = text.Substring(eq + 1);
        if (address.StartsWith("tcp:", StringComparison.Ordinal))
        {
            return ParseTcp(name, address.Substring(4));
        }
        if (address.StartsWith("unix:", StringComparison.Ordinal) && address.Length > 5)
        {
            return new ListenerSpec(name, ListenerKind.Unix, null, 0, address.Substring(5));
        }
        if (address == InheritedForm)
        {
            return new ListenerSpec(name, ListenerKind.Inherited, null, 0, null);
        }
        throw new FormatException($"'{address}' is not tcp:HOST:PORT or unix:PATH");
    }

    private static ListenerSpec ParseTcp(string name, string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new FormatException($"'tcp:{hostPort}' has no HOST:PORT");
        }
        string host = hostPort.Substring(0, colon);
        string portText = hostPort.Substring(colon + 1);
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new FormatException($"'{portText}' is not a port (0 to 65535)");
        }
        IPAddress? ip = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ when host.StartsWith('[') && host.EndsWith(']') => ParseIPv6(host.Substring(1, host.Length - 2)),
            _ => ParseIPv4(host),
        };
        if (ip is null)
        {
            throw new FormatException($"'{host}' is not an IP address: a dotted IPv4 address of four decimal parts, an [IPv6] address in brackets, localhost, or * for every IPv4 address");
        }
        return new ListenerSpec(name, ListenerKind.Tcp, ip, port, null);
    }

    /// <summary>Four decimal parts 0-255 without leading zeros (IPAddress.Parse also takes "1", "10.1", hex and octal).</summary>
    private static IPAddress? ParseIPv4(string text)
    {
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string p = parts[i];
            if (p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') ||
                !byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return null;
            }
        }
        return new IPAddress(bytes);
    }

    private static IPAddress? ParseIPv6(string text) =>
        text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out IPAddress? parsed) &&
        parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? parsed : null;
}
