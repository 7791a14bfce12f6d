using System;
using System.Collections.Generic;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser.Tests.Support;

internal sealed record WalkedItem(ControlMessageKind Kind, int Level, int Type, int[] Descriptors, PeerCredentials Credentials);

internal sealed record WalkResult(List<WalkedItem> Items, bool Truncated, bool Malformed);

/// <summary>The running target's control-data facts and walkers, for tests that are not generic over the target.</summary>
internal interface IControlProbe
{
    bool HasCredentials { get; }

    bool HasPidfd { get; }

    int ScmCredentials { get; }

    int ScmPidfd { get; }

    int PeerCredSize { get; }

    /// <summary>The walker over <paramref name="control"/>, every message copied out.</summary>
    WalkResult Walk(byte[] control, nuint reported, int flags);

    /// <summary>The notification receive's walk of <paramref name="control"/> into the two owners.</summary>
    NotificationControl ParseNotification(byte[] control, ReceivedDescriptors rights, ReceivedDescriptors pidfd);
}

internal static class ControlProbe
{
    public static IControlProbe ForThisTarget() => Transports.OnSocketTarget<IControlProbe, Factory>(Transports.Choice);

    private readonly struct Factory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => new Probe<TAbi>();
    }

    private sealed class Probe<TAbi> : IControlProbe
        where TAbi : struct, IPlatformAbi
    {
        public bool HasCredentials => TAbi.Has_SCM_CREDENTIALS && TAbi.PeerCredentials == PeerCredentialMethod.SoPeerCred;

        public bool HasPidfd => TAbi.Has_SCM_PIDFD;

        public int ScmCredentials => TAbi.SCM_CREDENTIALS;

        public int ScmPidfd => TAbi.SCM_PIDFD;

        public int PeerCredSize => TAbi.PeerCredSize;

        public WalkResult Walk(byte[] control, nuint reported, int flags)
        {
            var items = new List<WalkedItem>();
            var messages = new ControlMessages<TAbi>(control, reported, flags);
            while (messages.MoveNext())
            {
                ControlMessage m = messages.Current;
                int[] numbers = m.Kind is ControlMessageKind.Rights or ControlMessageKind.Pidfd ? new int[m.DescriptorCount] : Array.Empty<int>();
                for (int i = 0; i < numbers.Length; i++)
                {
                    numbers[i] = m.Descriptor(i);
                }
                items.Add(new WalkedItem(m.Kind, m.Level, m.Type, numbers, m.Credentials));
            }
            return new WalkResult(items, messages.Truncated, messages.Malformed);
        }

        public NotificationControl ParseNotification(byte[] control, ReceivedDescriptors rights, ReceivedDescriptors pidfd) =>
            PosixNative<TAbi>.ParseNotificationControl(control, (nuint)control.Length, 0, rights, pidfd);
    }
}
