using System;
using System.Globalization;
using System.Linq;
using FdPasser.Systemd;
using Microsoft.Extensions.Options;

namespace FdPasser.AspNetCore;

/// <summary>
/// The descriptors passed to this process at start, taken once per process and owned for its life: Kestrel only
/// borrows listener numbers (it does not own a <c>ListenHandle</c> descriptor), so they are closed — never shut
/// down, which would refuse connections for every process sharing the listener — when the host is disposed.
/// </summary>
internal sealed class InheritedDescriptors : IDisposable, Transport.IListenerNames
{
    public InheritedDescriptors(IOptions<ServiceManagerOptions> options)
    {
        Origin = ListenOrigins.Of(
            Environment.GetEnvironmentVariable("LISTEN_PID"), Environment.GetEnvironmentVariable("LISTEN_FDS"), Environment.ProcessId, ParentProcess.Id());
        if (options.Value.AcceptParentListenPid
            && Origin == ListenOrigin.ParentProcess)
        {
            // Meant for a launcher that started this process as its child (dotnet run); they are ours to take.
            Environment.SetEnvironmentVariable("LISTEN_PID", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            FromLauncher = true;
            Origin = ListenOrigin.ThisProcess;
        }
        Passed = ListenDescriptors.FromEnvironment();
        FromLauncher &= Passed.Count > 0;
    }

    public ListenDescriptors Passed { get; }

    /// <summary>Whom LISTEN_PID named at start (after accepting a launcher's).</summary>
    public ListenOrigin Origin { get; }

    /// <summary>True when the descriptors were the parent's (a launcher's): the manager is told MAINPID=.</summary>
    public bool FromLauncher { get; }

    public InheritedDescriptorInfo[] Describe() => Passed.Select(InheritedDescriptorInfo.Of).ToArray();

    public string? NameOf(ulong descriptor) => Passed.FirstOrDefault(d => (ulong)d.Number == descriptor)?.Name;

    public void Dispose() => Passed.Dispose();
}
