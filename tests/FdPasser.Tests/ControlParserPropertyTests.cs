using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CsCheck;
using FdPasser.Platform;
using FdPasser.Protocol;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// Property tests of the control-data parser over random buffers, lengths and flags: it never throws, and every
/// real descriptor in the buffer is either handed to the caller (when nothing is wrong) or closed. The buffers
/// have the shapes kernels produce: well-formed messages of any level and type, cut short anywhere (with
/// MSG_CTRUNC, as the kernel sets it), and the last cmsg_len and msg_controllen overstated (as macOS leaves them).
/// </summary>
public class ControlParserPropertyTests
{
    private static readonly SocketTransport T = Transports.Socket;

    // Each live descriptor of a case refers to a file of its own, so "still open" is told by what the number
    // refers to: a number the parser closed may be reused at once by another thread of this process.
    private static readonly string[] Files = CreateFiles(32);

    private static string[] CreateFiles(int count)
    {
        string dir = Directory.CreateTempSubdirectory("fdp-prop-").FullName;
        var files = new string[count];
        for (int i = 0; i < count; i++)
        {
            files[i] = Path.Combine(dir, "f" + i);
            File.WriteAllText(files[i], "");
        }
        return files;
    }

    private static bool StillOurs(int fd, string file) => ProcFs.IsOpen(fd) && ProcFs.Target(fd) == file;

    /// <summary>One control message of a generated buffer: rights with real descriptors, or something else.</summary>
    private sealed record Piece(bool Rights, int Count, int Level, int Type, int LengthDelta);

    private static readonly Gen<Piece> GenPiece =
        Gen.Select(Gen.Bool, Gen.Int[0, 6], Gen.Int[0, 3], Gen.Int[0, 4], Gen.OneOf(Gen.Const(0), Gen.Int[1, 400]))
            .Select((rights, count, level, type, delta) => new Piece(rights, count, level == 0 ? T.Constants.SOL_SOCKET : level, type, delta));

    private static readonly Gen<(Piece[] Pieces, int Cut, int ReportedDelta, bool Truncated, int Capacity)> GenCase =
        Gen.Select(GenPiece.Array[0, 4], Gen.Int[0, 64], Gen.Int[-16, 512], Gen.Bool, Gen.Int[0, 24]);

    [Fact]
    public void Every_descriptor_is_either_returned_or_closed()
    {
        GenCase.Sample(c =>
        {
            var placed = new List<(int Fd, int Offset, string File)>();
            byte[] buffer = Build(c.Pieces, placed);
            int keep = Math.Max(0, buffer.Length - c.Cut);
            bool truncated = c.Truncated || keep < buffer.Length;
            // What the kernel did not deliver was never installed: close it here, outside the property.
            var real = new List<(int Fd, string File)>();
            foreach (var (fd, offset, file) in placed)
            {
                if (offset + 4 <= keep)
                {
                    real.Add((fd, file));
                }
                else
                {
                    FdHandles.Close(fd);
                }
            }
            Span<byte> control = buffer.AsSpan(0, keep);
            nuint reported = (nuint)(keep + Math.Max(0, c.ReportedDelta));
            var owner = new ReceivedDescriptors(T, 32);
            ReceiveResult r = T.ParseControl(control, reported, truncated ? T.Constants.MSG_CTRUNC : 0, owner.Room(c.Capacity));
            Assert.Equal(r.Descriptors, owner.Count);
            int[] taken = new int[owner.Count];
            owner.HandOver(taken);

            var returned = new HashSet<int>(taken.Take(r.Descriptors));
            if (r.Problem != ControlProblem.None)
            {
                Assert.Equal(0, r.Descriptors);
            }
            foreach (var (fd, file) in real)
            {
                if (returned.Contains(fd))
                {
                    Assert.True(StillOurs(fd, file));
                }
                else
                {
                    Assert.False(StillOurs(fd, file), $"descriptor {fd} was neither returned nor closed ({r.Problem})");
                }
            }
            Assert.All(returned, fd => Assert.Contains(fd, real.ConvertAll(x => x.Fd)));
            foreach (int fd in returned)
            {
                FdHandles.Close(fd);
            }
        }, iter: 2000, threads: 1); // one thread: the property checks descriptor numbers another thread could reuse
    }

    /// <summary>
    /// Lays the pieces out as a kernel would (each at a CMSG_ALIGN'ed offset), with cmsg_len perturbed. Bytes that
    /// are not real descriptors are 0xFF (-1 as an int), so a parser that strays reads no live descriptor number.
    /// </summary>
    private static byte[] Build(Piece[] pieces, List<(int Fd, int Offset, string File)> placed)
    {
        var bytes = new List<byte>();
        for (int n = 0; n < pieces.Length; n++)
        {
            Piece p = pieces[n];
            int dataLength = p.Rights ? p.Count * 4 : p.Count * 3;
            byte[] piece = new byte[T.CmsgSpace(dataLength)];
            Array.Fill(piece, (byte)0xFF);
            int overstated = n == pieces.Length - 1 ? p.LengthDelta : 0;
            T.WriteCmsgHeader(piece, T.CmsgLen(dataLength) + overstated, p.Rights ? T.Constants.SOL_SOCKET : p.Level, p.Rights ? T.Constants.SCM_RIGHTS : 100 + p.Type);
            if (p.Rights)
            {
                for (int i = 0; i < p.Count; i++)
                {
                    string file = Files[placed.Count];
                    SafeFileHandle h = File.OpenHandle(file);
                    int fd = (int)h.DangerousGetHandle();
                    h.SetHandleAsInvalid(); // the buffer owns it now, as after a recvmsg
                    int offset = T.CmsgLen(0) + (i * 4);
                    placed.Add((fd, bytes.Count + offset, file));
                    BitConverter.TryWriteBytes(piece.AsSpan(offset), fd);
                }
            }
            bytes.AddRange(piece);
        }
        return bytes.ToArray();
    }
}
