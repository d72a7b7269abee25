using System.Buffers;
using ClipSharp.Models;
using ClipSharp.Tensors;
using static ClipSharp.Tests.TrainingParityTests;

namespace ClipSharp.Tests;

/// <summary>
/// ModifiedResNet's inference forward rents its activations from <see cref="ComputeContext.Pool"/> and hands each
/// back once read. Under a pool that fills every array with NaN on the way out and on the way back, a buffer read
/// before it is written, read after it went back, or handed back twice turns the result into NaN or throws.
/// </summary>
public class PooledActivationTests
{
    /// <summary>Never reuses an array; poisons each one when lent and again when returned, and checks the books.</summary>
    private sealed class PoisoningPool : ArrayPool<float>
    {
        private readonly HashSet<float[]> _out = new(ReferenceEqualityComparer.Instance);
        public int Lent { get; private set; }
        public int Outstanding { get { lock (_out) return _out.Count; } }

        public override float[] Rent(int minimumLength)
        {
            var array = new float[Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)minimumLength))];
            Array.Fill(array, float.NaN);
            lock (_out) { _out.Add(array); Lent++; }
            return array;
        }

        public override void Return(float[] array, bool clearArray = false)
        {
            lock (_out)
                if (!_out.Remove(array)) throw new InvalidOperationException("an array went back that is not out (returned twice, or never rented here)");
            Array.Fill(array, float.NaN);
        }
    }

    [Fact]
    public void ResNetForwardReadsNoBufferItDidNotWriteOrHasGivenBack()
    {
        var batch = Load("rn-tiny");
        var visual = batch.Model.Visual;
        var pixels = batch.Pixels.Slice(0, 4).Clone();
        var expected = visual.Forward(ComputeContext.Default, pixels).Span.ToArray();
        Assert.All(expected, v => Assert.True(float.IsFinite(v)));

        foreach (int threads in new[] { 1, 2 })
        {
            var pool = new PoisoningPool();
            var poisoned = visual.Forward(new ComputeContext(threads) { Pool = pool }, pixels).Span.ToArray();
            Assert.Equal(expected, poisoned);
            Assert.True(pool.Lent > 10, $"only {pool.Lent} arrays rented: the forward no longer pools its activations");
            Assert.Equal(0, pool.Outstanding);                    // every activation went back
        }
    }

    [Fact]
    public void ResNetForwardDoesNotDependOnEarlierOrConcurrentForwards()
    {
        var batch = Load("rn-tiny");
        var visual = batch.Model.Visual;
        var first = batch.Pixels.Slice(0, 4).Clone();
        var second = batch.Pixels.Slice(4, 4).Clone();
        var ctx = ComputeContext.Default;

        var expectedFirst = visual.Forward(ctx, first).Span.ToArray();
        var expectedSecond = visual.Forward(ctx, second).Span.ToArray();
        Assert.NotEqual(expectedFirst, expectedSecond);
        Assert.Equal(expectedFirst, visual.Forward(ctx, first).Span.ToArray());

        var results = new float[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            results[i] = visual.Forward(new ComputeContext(1), i % 2 == 0 ? first : second).Span.ToArray());
        for (int i = 0; i < results.Length; i++)
            Assert.Equal(i % 2 == 0 ? expectedFirst : expectedSecond, results[i]);
    }

    [Fact]
    public void OnlyARentedTensorGoesBack()
    {
        var ctx = new ComputeContext(2) { Pool = new PoisoningPool() };
        var rented = ctx.Rent(3, 5);
        Assert.Equal(15, rented.Length);
        Assert.True(rented.Storage.Length >= 15);
        Assert.Throws<ArgumentException>(() => ctx.Return(rented.Slice(1, 2)));
        Assert.Same(ctx.Pool, ctx.Serial.Pool);
        Assert.Same(ctx.Pool, ctx.WithWeights(null).Pool);
        ctx.Return(rented);
        Assert.Throws<InvalidOperationException>(() => ctx.Return(rented));
    }
}
