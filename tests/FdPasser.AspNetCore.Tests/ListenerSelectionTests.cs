using System;
using System.Net.Sockets;
using FdPasser.Systemd;

namespace FdPasser.AspNetCore.Tests;

public sealed class ListenerSelectionTests
{
    private static InheritedDescriptorInfo Listener(string name, int fd) => new(name, fd, DescriptorKind.Socket, SocketType.Stream, true);

    private static readonly InheritedDescriptorInfo[] Passed =
    {
        Listener("web", 3),
        Listener("admin", 4),
        new("generation", 5, DescriptorKind.RegularFile, SocketType.Unknown, false),
        Listener("web", 6),
        new("peer", 7, DescriptorKind.Socket, SocketType.Stream, false),
        new("metrics", 8, DescriptorKind.Socket, SocketType.Dgram, false),
    };

    private static int[] Numbers(InheritedDescriptorInfo[] chosen) => Array.ConvertAll(chosen, d => d.Number);

    [Fact]
    public void No_name_takes_every_listening_stream_socket_and_skips_a_memory_file_a_connection_and_a_datagram_socket() =>
        Assert.Equal(new[] { 3, 4, 6 }, Numbers(ListenerSelection.Select(Passed, Array.Empty<string>())));

    [Fact]
    public void One_name_takes_every_listener_of_that_name() =>
        Assert.Equal(new[] { 3, 6 }, Numbers(ListenerSelection.Select(Passed, new[] { "web" })));

    [Fact]
    public void Several_names_take_theirs_in_the_order_asked_and_a_repeated_name_once() =>
        Assert.Equal(new[] { 4, 3, 6 }, Numbers(ListenerSelection.Select(Passed, new[] { "admin", "web", "admin" })));

    [Fact]
    public void An_unknown_name_is_refused_with_what_was_passed()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ListenerSelection.Select(Passed, new[] { "api" }));
        Assert.Contains("'api'", e.Message, StringComparison.Ordinal);
        Assert.Contains("web (fd 3, Stream socket, listening)", e.Message, StringComparison.Ordinal);
        Assert.Contains("generation (fd 5, RegularFile)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generation", "generation (fd 5, RegularFile)")]
    [InlineData("peer", "peer (fd 7, Stream socket, not listening)")]
    [InlineData("metrics", "metrics (fd 8, Dgram socket, not listening)")]
    public void A_name_that_is_no_listening_stream_socket_is_refused(string name, string described)
    {
        var e = Assert.Throws<InvalidOperationException>(() => ListenerSelection.Select(Passed, new[] { name }));
        Assert.Contains("no listening stream socket: " + described, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_passed_is_refused_saying_LISTEN_FDS_was_missing()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ListenerSelection.Select(Array.Empty<InheritedDescriptorInfo>(), Array.Empty<string>()));
        Assert.Contains("without LISTEN_FDS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_a_memory_file_passed_is_refused_when_every_listener_is_asked_for()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ListenerSelection.Select(new[] { Passed[2] }, Array.Empty<string>()));
        Assert.Contains("generation (fd 5, RegularFile)", e.Message, StringComparison.Ordinal);
    }
}
