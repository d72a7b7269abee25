namespace ClipSharp.Tensors.Tests;

/// <summary>The worker team behind <see cref="ComputeContext.For"/>.</summary>
public class ComputeContextTests
{
    /// <summary>
    /// Many two-index loops back to back, as a forward pass runs them: every index of every loop runs exactly once, with
    /// that loop's own body, and nothing throws. A worker that joined a loop as the caller closed it once ran the next
    /// loop's indices with a body already cleared (a NullReferenceException in a GEMM, seen in a training test) because
    /// closing the loop and counting its workers lacked a full fence.
    /// </summary>
    [Fact]
    public void BackToBackLoopsRunEachIndexOnceWithTheirOwnBody()
    {
        const int Loops = 300_000;
        var ctx = new ComputeContext(2);
        int current = -1;
        long runs = 0, wrong = 0;
        for (int loop = 0; loop < Loops; loop++)
        {
            int id = loop;
            Volatile.Write(ref current, id);
            ctx.For(2, _ =>
            {
                if (Volatile.Read(ref current) != id) Interlocked.Increment(ref wrong);
                Interlocked.Increment(ref runs);
            });
        }
        Assert.Equal(0, wrong);
        Assert.Equal(2L * Loops, runs);
    }
}
