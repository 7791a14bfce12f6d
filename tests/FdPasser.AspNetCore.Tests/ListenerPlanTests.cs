using System;
using System.Net.Sockets;
using FdPasser.Systemd;

namespace FdPasser.AspNetCore.Tests;

/// <summary>Listen, fall back or refuse, from whom LISTEN_PID named: every case without a service manager.</summary>
public sealed class ListenerPlanTests
{
    private static readonly InheritedDescriptorInfo[] Web = { new("web", 3, DescriptorKind.Socket, SocketType.Stream, true) };
    private static readonly string[] Names = { "web" };

    [Theory]
    [InlineData(null, null, nameof(ListenOrigin.NoManager))]
    [InlineData("100", null, nameof(ListenOrigin.NoManager))]
    [InlineData(null, "1", nameof(ListenOrigin.NoManager))]
    [InlineData("100", "1", nameof(ListenOrigin.ThisProcess))]
    [InlineData("99", "1", nameof(ListenOrigin.ParentProcess))]
    [InlineData("7", "1", nameof(ListenOrigin.OtherProcess))]
    public void LISTEN_PID_is_read_as_this_process_its_parent_another_or_no_manager(string? listenPid, string? listenFds, string expected) =>
        Assert.Equal(Enum.Parse<ListenOrigin>(expected), ListenOrigins.Of(listenPid, listenFds, processId: 100, parentId: 99));

    [Fact]
    public void Listeners_passed_to_this_process_are_listened_on_even_when_strict() =>
        Assert.Equal(3, Assert.Single(ListenerSelection.Plan(Web, Names, ListenOrigin.ThisProcess, requireServiceManager: true)!).Number);

    [Theory]
    [InlineData(nameof(ListenOrigin.NoManager))]
    [InlineData(nameof(ListenOrigin.OtherProcess))]
    public void Without_a_manager_the_plan_is_to_fall_back_and_the_warning_says_why(string originName)
    {
        ListenOrigin origin = Enum.Parse<ListenOrigin>(originName);
        Assert.Null(ListenerSelection.Plan(Array.Empty<InheritedDescriptorInfo>(), Names, origin, requireServiceManager: false));
        string warning = ListenerSelection.Fallback(Names, origin);
        Assert.Contains(origin == ListenOrigin.NoManager ? "LISTEN_FDS is not set" : "LISTEN_PID names another process", warning, StringComparison.Ordinal);
        Assert.Contains("'web'", warning, StringComparison.Ordinal);
        Assert.Contains("RequireServiceManager", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(ListenOrigin.NoManager))]
    [InlineData(nameof(ListenOrigin.OtherProcess))]
    public void Without_a_manager_strict_refuses_naming_RequireServiceManager(string originName)
    {
        ListenOrigin origin = Enum.Parse<ListenOrigin>(originName);
        var e = Assert.Throws<InvalidOperationException>(() =>
            ListenerSelection.Plan(Array.Empty<InheritedDescriptorInfo>(), Names, origin, requireServiceManager: true));
        Assert.Contains("InheritedListenerOptions.RequireServiceManager", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Listeners_passed_to_a_launcher_parent_are_refused_naming_AcceptParentListenPid(bool strict)
    {
        // dotnet run under fdpass hold: a manager is there, so serving on another address is no fallback.
        var e = Assert.Throws<InvalidOperationException>(() =>
            ListenerSelection.Plan(Array.Empty<InheritedDescriptorInfo>(), Names, ListenOrigin.ParentProcess, strict));
        Assert.Contains("ServiceManagerOptions.AcceptParentListenPid = true", e.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet run", e.Message, StringComparison.Ordinal);
    }
}
