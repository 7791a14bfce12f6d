// A minimal API that restarts without dropping a request under fdpass hold or systemd (see README.md).
using System;
using System.Buffers.Binary;
using System.IO;
using FdPasser;
using FdPasser.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // no line per request
// Under `dotnet run` the app is the child of the process the descriptors were passed to.
builder.Services.AddServiceManager(o => o.AcceptParentListenPid = true);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenInherited("web"));
WebApplication app = builder.Build();

long generation = CountGeneration(app.Services.GetRequiredService<ServiceDescriptorStore>());
string answer = $"gen {generation} pid {Environment.ProcessId}";
app.MapGet("/", () => answer);
app.Run();

// The generation number lives in an 8-byte memory file the service manager keeps for us under "generation".
static long CountGeneration(ServiceDescriptorStore store)
{
    byte[] bytes = new byte[8];
    SafeFileHandle state = store.Take("generation") ?? AnonymousMemory.Create("generation", bytes.Length);
    using (state)
    {
        long previous = RandomAccess.Read(state, bytes, 0) == bytes.Length ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
        BinaryPrimitives.WriteInt64LittleEndian(bytes, previous + 1);
        RandomAccess.Write(state, bytes, 0);
        store.Store("generation", state); // the same file each time: the manager keeps it once
        return previous + 1;
    }
}
