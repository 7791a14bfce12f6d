using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Platform;

namespace FdPasser.Streams.Tests;

/// <summary>The per-OS choice between the socket and STREAMS transports, and its failure mode.</summary>
public sealed class StreamsPlatformSelectionTests
{
    [Theory]
    [InlineData("linux", Architecture.X64, null, "linux-x64")]
    [InlineData("linux", Architecture.X64, "glibc", "linux-x64")]
    [InlineData("linux", Architecture.X64, "musl", "linux-musl-x64")]
    [InlineData("linux", Architecture.Arm64, null, "linux-arm64")]
    [InlineData("linux", Architecture.Arm, null, "linux-arm")]
    [InlineData("macos", Architecture.Arm64, null, "osx-arm64")]
    [InlineData("osx", Architecture.X64, null, "osx-x64")]
    [InlineData("freebsd", Architecture.X64, null, "freebsd-x64")]
    public void Linux_macOS_and_FreeBSD_use_sockets_only(string os, Architecture arch, string? libc, string rid)
    {
        PlatformChoice choice = PlatformSelection.Select(os, arch, libc);

        Assert.Equal(rid, choice.SocketRid);
        Assert.False(choice.HasStreams);
        Assert.Equal(FdTransportKind.Socket, choice.DefaultTransport);
        Assert.Null(choice.UnsupportedReason);
    }

    [Theory]
    [InlineData("illumos")]
    [InlineData("solaris")]
    public void Illumos_and_Solaris_have_both_transports_and_default_to_sockets(string os)
    {
        PlatformChoice choice = PlatformSelection.Select(os, Architecture.X64, libc: null);

        Assert.Equal("illumos-x64", choice.SocketRid);
        Assert.Equal("illumos-x64", choice.StreamsRid);
        Assert.True(choice.Has(FdTransportKind.Streams));
        Assert.True(choice.Has(FdTransportKind.Socket));
        Assert.Equal(FdTransportKind.Socket, choice.DefaultTransport);
    }

    [Fact]
    public void Windows_has_neither_and_says_why_at_first_use()
    {
        PlatformChoice choice = PlatformSelection.Select("windows", Architecture.X64, libc: null);

        Assert.False(choice.HasSockets);
        Assert.False(choice.HasStreams);
        Assert.Null(choice.DefaultTransport);
        Assert.StartsWith(PlatformSelection.Supported, choice.UnsupportedReason);
        var socket = Assert.Throws<PlatformNotSupportedException>(() => Target.For(choice).Sockets);
        var streams = Assert.Throws<PlatformNotSupportedException>(() => Target.For(choice).Streams);
        Assert.Contains("Windows", socket.Message);
        Assert.Contains("DuplicateHandle", socket.Message);
        Assert.Equal(socket.Message, streams.Message);
    }

    [Fact]
    public void A_supported_OS_on_an_architecture_without_an_ABI_file_is_unsupported()
    {
        PlatformChoice choice = PlatformSelection.Select("illumos", Architecture.Arm64, libc: null);

        Assert.False(choice.HasSockets);
        Assert.Contains("no ABI description for illumos on Arm64", choice.UnsupportedReason);
    }

    [Fact]
    public void STREAMS_on_a_socket_only_OS_is_a_clear_PlatformNotSupportedException()
    {
        PlatformChoice linux = PlatformSelection.Select("linux", Architecture.X64, libc: null);

        var e = Assert.Throws<PlatformNotSupportedException>(() => Target.For(linux).Streams);

        Assert.Contains("only on illumos and Solaris", e.Message);
    }

    [Fact]
    public void This_process_uses_sockets_and_the_public_STREAMS_entry_points_refuse_cleanly()
    {
        Assert.SkipWhen(Target.Current.Choice.HasStreams, "This machine has STREAMS.");
        Assert.True(FdChannel.IsSupported(FdTransportKind.Socket));
        Assert.False(FdChannel.IsSupported(FdTransportKind.Streams));
        Assert.Throws<PlatformNotSupportedException>(() => FdChannel.CreatePair(FdTransportKind.Streams));
        Assert.Throws<PlatformNotSupportedException>(() => FdChannel.ConnectStreams("/tmp/nowhere"));
        Assert.Throws<PlatformNotSupportedException>(() => FdListener.CreateStreams("/tmp/nowhere"));
    }

    [Fact]
    public void No_public_type_needs_the_platform_to_load()
    {
        foreach (Type type in typeof(FdChannel).Assembly.GetExportedTypes())
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }
        RuntimeHelpers.RunClassConstructor(typeof(Target).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(PlatformSelection).TypeHandle);
    }

    [Fact]
    public void The_socket_pair_still_passes_descriptors_beside_the_STREAMS_path()
    {
        var (a, b) = FdChannel.CreatePair(FdTransportKind.Socket);
        using (a)
        using (b)
        using (var file = new System.IO.FileStream(System.IO.Path.GetTempFileName(), System.IO.FileMode.Open, System.IO.FileAccess.ReadWrite, System.IO.FileShare.ReadWrite, 1, System.IO.FileOptions.DeleteOnClose))
        {
            Assert.Equal(FdTransportKind.Socket, a.TransportKind);
            a.SendDescriptor(file);
            using var received = b.ReceiveDescriptor();
            Assert.False(received.IsInvalid);
            Assert.Same(a.SafeHandle, a.Handle);
        }
    }
}
