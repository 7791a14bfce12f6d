namespace FdPasser.Protocol;

/// <summary>
/// Where one receive puts the descriptors it brings: an owner and how many more it may take. The default (no owner)
/// takes none: the transport then closes whatever arrives through a zero-capacity owner of its own.
/// </summary>
internal readonly struct DescriptorRoom
{
    public DescriptorRoom(ReceivedDescriptors owner, int limit)
    {
        Owner = owner;
        Limit = limit;
    }

    public ReceivedDescriptors? Owner { get; }

    public int Limit { get; }
}
