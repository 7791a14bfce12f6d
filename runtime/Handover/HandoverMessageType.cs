namespace FdPasser.Handover;

/// <summary>The first byte of every handover message (docs/handover.md).</summary>
internal enum HandoverMessageType : byte
{
    Hello = 1,
    Begin = 2,
    Items = 3,
    State = 4,
    Prepared = 5,
    Commit = 6,
    Abort = 7,
    Committed = 8,

    /// <summary>From the broker over a generation's link, with one end of a fresh pair.</summary>
    Introduce = 16,
}
