namespace Cairn.Monitoring.Drift;

/// <summary>
/// The two-sample Kolmogorov-Smirnov test's p-value as SciPy's <c>ks_2samp</c> computes it with its defaults
/// (two-sided, <c>method='auto'</c>): the exact null distribution when neither sample exceeds 10,000 rows, Smirnov's
/// asymptotic one (the one-sample two-sided Kolmogorov distribution at the effective size) otherwise, and the asymptotic
/// one as well when the exact figure falls outside [0, 1]. Written from the algorithms' papers (Hodges 1958; Viehmann
/// 2021 for the complementary recursion; Simard and L'Ecuyer 2011 for choosing among Durbin/Marsaglia-Tsang-Wang,
/// Pomeranz, Pelz-Good and the Birnbaum-Tingey sum), following SciPy's choices so that the figures agree with it.
/// </summary>
internal static class KolmogorovSmirnov
{
    /// <summary>Beyond this many rows on either side SciPy's <c>auto</c> mode switches to the asymptotic distribution.</summary>
    public const long MaxExactRows = 10_000;

    /// <summary>
    /// The p-value of the two-sided statistic <paramref name="d"/> for samples of <paramref name="n1"/> and
    /// <paramref name="n2"/> rows. The exact path snaps the statistic to the lattice of attainable values (h / lcm), as
    /// SciPy reports it; <paramref name="d"/> comes back snapped when that path was taken.
    /// </summary>
    public static double PValue(ref double d, long n1, long n2)
    {
        if (Math.Max(n1, n2) <= MaxExactRows)
        {
            var g = Gcd(n1, n2);
            var lcm = n1 / g * n2;
            var h = (long)Math.Round(d * lcm, MidpointRounding.ToEven);
            var snapped = h * 1.0 / lcm;
            if (h == 0)
            {
                d = snapped;
                return 1.0;
            }
            var p = n1 == n2 ? OutsideSquare(n1, h) : OutsideBand(n1, n2, g, h);
            if (p is >= 0 and <= 1)
            {
                d = snapped;
                return p;
            }
            // SciPy keeps the snapped statistic when it falls back to the asymptotic figure.
            d = snapped;
        }
        var m = (double)Math.Max(n1, n2);
        var n = (double)Math.Min(n1, n2);
        var en = m * n / (m + n);
        return Math.Clamp(KolmogorovSurvival((long)Math.Round(en, MidpointRounding.ToEven), d), 0, 1);
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Pr(D ≥ h/n) for two samples of n each: Hodges' alternating sum, evaluated Horner-like.</summary>
    private static double OutsideSquare(long n, long h)
    {
        var total = 0.0;
        for (var k = n / h; k >= 0; k--)
        {
            var term = 1.0;
            for (var j = 0L; j < h; j++)
                term = (n - k * h - j) * term / (n + k * h + j + 1);
            total = term * (1.0 - total);
        }
        return 2 * total;
    }

    /// <summary>
    /// Pr(D ≥ h/lcm) for samples of m and n: the share of lattice paths from (0,0) to (m,n) that leave the band
    /// |x/m − y/n| &lt; h/lcm, computed column by column as that share directly (1 − p) over a sliding window.
    /// </summary>
    private static double OutsideBand(long m, long n, long g, long h)
    {
        if (m < n)
            (m, n) = (n, m);
        var mg = m / g;
        var ng = n / g;
        var minj = 0L;
        var maxj = Math.Min((long)Math.Ceiling(h / (double)mg), n + 1);
        var curlen = maxj - minj;
        var a = new double[Math.Min(2 * maxj + 2, n + 1)];
        Array.Fill(a, 1.0);
        for (var j = minj; j < maxj; j++)
            a[j] = 0.0;
        for (var i = 1L; i <= m; i++)
        {
            var lastminj = minj;
            var lastlen = curlen;
            minj = Math.Min(Math.Max((long)Math.Floor((ng * i - h) / (double)mg) + 1, 0), n);
            maxj = Math.Min((long)Math.Ceiling((ng * i + h) / (double)mg), n + 1);
            if (maxj <= minj)
                return 1.0;
            var val = minj == 0 ? 0.0 : 1.0;
            for (var jj = 0L; jj < maxj - minj; jj++)
            {
                var j = jj + minj;
                val = (a[jj + minj - lastminj] * i + val * j) / (i + j);
                a[jj] = val;
            }
            curlen = maxj - minj;
            for (var k = maxj - minj; k < maxj - minj + (lastlen - curlen) && k < a.Length; k++)
                a[k] = 1;
        }
        return a[maxj - minj - 1];
    }

    private const double MinLog = -708;
    private const double Em128 = 2.938735877055719e-39; // 2^-128
    private const double Ep128 = 3.402823669209385e+38; // 2^128

    /// <summary>Pr(Dₙ ≥ x) for the one-sample two-sided statistic: SciPy's <c>kstwo.sf</c>.</summary>
    internal static double KolmogorovSurvival(long n, double x)
    {
        if (n <= 0)
            return double.NaN;
        if (x >= 1.0)
            return 0.0;
        if (x <= 0.0)
            return 1.0;
        var t = n * x;
        if (t <= 1.0)
        {
            if (t <= 0.5)
                return 1.0;
            double cdf;
            if (n <= 140)
            {
                cdf = 1.0;
                for (var i = 1L; i <= n; i++)
                    cdf *= i * (1.0 / n) * (2 * t - 1);
            }
            else
                cdf = Math.Exp(LogFactorialOverPower(n) + n * Math.Log(2 * t - 1));
            return Clip(1.0 - cdf);
        }
        if (t >= n - 1)
            return Clip(2 * Math.Pow(1.0 - x, n));
        if (x >= 0.5)
            return Clip(2 * SmirnovSurvival(n, x));
        var nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 0.754693)
                return Clip(1.0 - DurbinMatrix(n, x));
            if (nxSquared <= 4)
                return Clip(1.0 - Pomeranz(n, x));
            return Clip(2 * SmirnovSurvival(n, x));
        }
        if (nxSquared >= 370.0)
            return 0.0;
        if (nxSquared >= 2.2)
            return Clip(2 * SmirnovSurvival(n, x));
        var cdfLarge = n <= 100_000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinMatrix(n, x) : PelzGood(n, x);
        return Clip(1.0 - cdfLarge);
    }

    private static double Clip(double p) => Math.Clamp(p, 0.0, 1.0);

    private static readonly double[] StirlingCoefficients =
    [
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ];

    /// <summary>log(n! / nⁿ) by Stirling's series, with n·log n taken out first so nothing cancels.</summary>
    private static double LogFactorialOverPower(long n)
    {
        var rn = 1.0 / n;
        var poly = 0.0;
        foreach (var c in StirlingCoefficients)
            poly = poly * (rn / n) + c;
        return Math.Log(n) / 2 - n + Math.Log(2 * Math.PI) / 2 + rn * poly;
    }

    /// <summary>Pr(Dₙ ≤ d) by Durbin's matrix method as Marsaglia, Tsang and Wang evaluate it (scaled powers).</summary>
    private static double DurbinMatrix(long n, double d)
    {
        if (d >= 1.0)
            return 1.0;
        var nd = n * d;
        if (nd <= 0.5)
            return 0.0;
        var k = (int)Math.Ceiling(nd);
        var h = k - nd;
        var m = 2 * k - 1;
        var v = new double[m];
        var w = new double[m];
        var fac = 1.0;
        for (var j = 1; j <= m; j++)
        {
            v[j - 1] = 1.0 - Math.Pow(h, j);
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] *= fac;
        }
        var tt = Math.Pow(Math.Max(2 * h - 1.0, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1.0 + tt) * fac;
        var hm = new double[m, m];
        for (var i = 1; i < m; i++)
            for (var r = i - 1; r < m; r++)
                hm[r, i] = w[r - i + 1];
        for (var r = 0; r < m; r++)
            hm[r, 0] = v[r];
        for (var c = 0; c < m; c++)
            hm[m - 1, c] = v[m - 1 - c];

        var power = new double[m, m];
        for (var i = 0; i < m; i++)
            power[i, i] = 1.0;
        var nn = n;
        var exponent = 0;
        var hExponent = 0;
        while (nn > 0)
        {
            if (nn % 2 == 1)
            {
                power = Multiply(power, hm);
                exponent += hExponent;
            }
            hm = Multiply(hm, hm);
            hExponent *= 2;
            if (Math.Abs(hm[k - 1, k - 1]) > Ep128)
            {
                for (var r = 0; r < m; r++)
                    for (var c = 0; c < m; c++)
                        hm[r, c] /= Ep128;
                hExponent += 128;
            }
            nn /= 2;
        }
        var p = power[k - 1, k - 1];
        for (var i = 1L; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < Em128)
            {
                p *= Ep128;
                exponent -= 128;
            }
        }
        if (exponent != 0)
            p = Math.ScaleB(p, exponent);
        return Clip(p);
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var m = a.GetLength(0);
        var result = new double[m, m];
        for (var i = 0; i < m; i++)
            for (var l = 0; l < m; l++)
            {
                var ail = a[i, l];
                if (ail == 0)
                    continue;
                for (var j = 0; j < m; j++)
                    result[i, j] += ail * b[l, j];
            }
        return result;
    }

    /// <summary>Pr(Dₙ ≤ x) by Pomeranz's recursion (two rows of Poisson-like convolutions, scaled).</summary>
    private static double Pomeranz(long nLong, double x)
    {
        var n = (int)nLong;
        var t = n * x;
        var ll = (int)Math.Floor(t);
        var f = t - ll;
        var g = Math.Min(f, 1.0 - f);
        var ceilf = f > 0 ? 1 : 0;
        var roundf = f > 0.5 ? 1 : 0;
        var npwrs = 2 * (ll + 1);
        var gpower = new double[npwrs];
        var twogpower = new double[npwrs];
        var onem2gpower = new double[npwrs];
        gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
        double gOverN = g / n, twoGOverN = 2 * g / n, oneMinusTwoGOverN = (1 - 2 * g) / n;
        for (var m = 1; m < npwrs; m++)
        {
            gpower[m] = gpower[m - 1] * gOverN / m;
            twogpower[m] = twogpower[m - 1] * twoGOverN / m;
            onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
        }
        var v0 = new double[npwrs];
        var v1 = new double[npwrs];
        v1[0] = 1;
        int v0s = 0, v1s = 0;
        var exponent = 0;
        var (j1, _) = PomeranzBounds(0, n, ll, ceilf, roundf);
        var conv = new double[2 * npwrs];
        for (var i = 1; i < 2 * n + 2; i++)
        {
            var k1 = j1;
            (v0, v1) = (v1, v0);
            (v0s, v1s) = (v1s, v0s);
            Array.Clear(v1);
            int j2;
            (j1, j2) = PomeranzBounds(i, n, ll, ceilf, roundf);
            var pwrs = i == 1 || i == 2 * n + 1 ? gpower : i % 2 == 1 ? twogpower : onem2gpower;
            var ln2 = j2 - k1 + 1;
            if (ln2 <= 0)
                continue;
            // Full convolution of v0[k1 - v0s .. +ln2) with pwrs[0 .. ln2), of which entries [j1 - k1, j2 - k1] are kept.
            var start = k1 - v0s;
            var convLen = 2 * ln2 - 1;
            Array.Clear(conv, 0, convLen);
            for (var a = 0; a < ln2; a++)
            {
                var va = start + a < npwrs ? v0[start + a] : 0.0;
                if (va == 0)
                    continue;
                for (var b = 0; b < ln2; b++)
                    conv[a + b] += va * pwrs[b];
            }
            var convStart = j1 - k1;
            var keep = j2 - j1 + 1;
            var max = 0.0;
            for (var c = 0; c < keep; c++)
            {
                v1[c] = conv[convStart + c];
                max = Math.Max(max, v1[c]);
            }
            if (max > 0 && max < Em128)
            {
                for (var c = 0; c < npwrs; c++)
                    v1[c] *= Ep128;
                exponent -= 128;
            }
            v1s = v0s + j1 - k1;
        }
        var ans = v1[n - v1s];
        for (var m = 1; m <= n; m++)
        {
            if (Math.Abs(ans) > Ep128)
            {
                ans *= Em128;
                exponent += 128;
            }
            ans *= m;
        }
        if (exponent != 0)
            ans = Math.ScaleB(ans, exponent);
        return Clip(ans);
    }

    private static (int J1, int J2) PomeranzBounds(int i, int n, int ll, int ceilf, int roundf)
    {
        int j1, j2;
        if (i == 0)
        {
            j1 = -ll - ceilf - 1;
            j2 = ll + ceilf - 1;
        }
        else
        {
            var half = (i + 1) / 2;
            if ((i + 1) % 2 == 0)
            {
                if (half == n + 1)
                {
                    j1 = n - ll - ceilf - 1;
                    j2 = n + ll + ceilf - 1;
                }
                else
                {
                    j1 = half - 1 - ll - roundf - 1;
                    j2 = half + ll - 1 + ceilf - 1;
                }
            }
            else
            {
                j1 = half - 1 - ll - 1;
                j2 = half + ll + roundf - 1;
            }
        }
        return (Math.Max(j1 + 2, 0), Math.Min(j2, n));
    }

    /// <summary>Pr(Dₙ ≤ x) by the Pelz-Good expansion of the Li-Chien/Korolyuk series (large n, small x).</summary>
    private static double PelzGood(long n, double x)
    {
        if (x <= 0.0)
            return 0.0;
        if (x >= 1.0)
            return 1.0;
        var z = Math.Sqrt(n) * x;
        double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
        const double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
        var qlog = -pi2 / 8 / z2;
        if (qlog < MinLog)
            return 0.0;
        var q = Math.Exp(qlog);
        var k1a = -z2;
        var k1b = pi2 / 4;
        var k2a = 6 * z6 + 2 * z4;
        var k2b = (2 * z4 - 5 * z2) * pi2 / 4;
        var k2c = pi4 * (1 - 2 * z2) / 16;
        var k3d = pi6 * (5 - 30 * z2) / 64;
        var k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
        var k3b = pi2 * (135 * z4 - 96 * z6) / 4;
        var k3a = -30 * z6 - 90 * Math.Pow(z, 8);
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (var k = maxk; k > 0; k--)
        {
            double mo = 2 * k - 1, m2 = mo * mo, m4 = m2 * m2, m6 = m4 * m2;
            var qpower = Math.Pow(q, 8 * k);
            s0 = s0 * qpower + 1.0;
            s1 = s1 * qpower + (k1a + k1b * m2);
            s2 = s2 * qpower + (k2a + k2b * m2 + k2c * m4);
            s3 = s3 * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
        }
        var sqrt2Pi = Math.Sqrt(2 * Math.PI);
        s0 = s0 * q * sqrt2Pi / z;
        s1 = s1 * q * sqrt2Pi / (6 * z4);
        s2 = s2 * q * sqrt2Pi / (72 * Math.Pow(z, 7));
        s3 = s3 * q * sqrt2Pi / (6480 * Math.Pow(z, 10));

        var q2 = Math.Exp(-pi2 / 2 / z2);
        double k2extra = 0, k3extra = 0;
        var sqrt3z = Math.Sqrt(3) * z;
        for (var k = maxk; k > 0; k--)
        {
            var ksq = (double)k * k;
            var qp = Math.Pow(q2, ksq);
            k2extra += ksq * qp;
            var kpi = Math.PI * k;
            k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * ksq * qp;
        }
        s2 += k2extra * pi2 * sqrt2Pi / (-36 * z3);
        s3 += k3extra * pi2 * sqrt2Pi / (216 * z6);
        var rootN = Math.Sqrt(n);
        return s0 + s1 / rootN + s2 / n + s3 / (n * rootN);
    }

    /// <summary>
    /// Pr(Dₙ⁺ ≥ x), the one-sided Smirnov statistic's survival function (SciPy's <c>smirnov</c>): Birnbaum and
    /// Tingey's sum of positive terms, each taken in logarithms and summed relative to the largest, with n·x split
    /// exactly into its integer and fractional parts so that 1 − x − v/n loses nothing to cancellation.
    /// </summary>
    internal static double SmirnovSurvival(long n, double x)
    {
        if (x <= 0.0)
            return 1.0;
        if (x >= 1.0)
            return 0.0;
        if (n == 1)
            return 1 - x;
        // n·x as an exact sum hi + lo, then floor and fractional part.
        var hi = n * x;
        var lo = Math.FusedMultiplyAdd(n, x, -hi);
        var floorHi = Math.Floor(hi);
        var alpha = hi - floorHi + lo;
        var nxFloor = (long)floorHi;
        if (alpha < 0)
        {
            nxFloor -= 1;
            alpha += 1;
        }
        if (alpha >= 1)
        {
            nxFloor += 1;
            alpha = 0;
        }
        if (nxFloor == 0 || (nxFloor == 1 && alpha == 0))
            return Clip(1 - x * Math.Pow(1 + x, n - 1));
        if (-2 * n * x * x < -708.3964185322641)
            return 0.0;
        if (nxFloor >= n - 1)
            return Clip(Math.Pow(1 - x, n));
        if (n > 1_000_000)
        {
            // SciPy's own approximation beyond a million rows: p ≈ exp(−(6nx + 1)² / 18n).
            var logp = -Math.Pow(6.0 * n * x + 1, 2) / 18.0 / n;
            return Clip(logp < -Math.Log(2) ? Math.Exp(logp) : 1 - -MathNet.Numerics.SpecialFunctions.Expm1(logp));
        }
        // Terms v = 0 .. n − ⌊nx⌋ − 1 (those with 1 − x − v/n > 0), summed in logarithms relative to the running largest.
        var last = n - nxFloor - 1;
        var max = double.NegativeInfinity;
        var sum = 0.0;
        var logBinomial = 0.0;
        var logN = Math.Log(n);
        for (var v = 0L; v <= last; v++)
        {
            // x + v/n = (⌊nx⌋ + α + v) / n and 1 − x − v/n = (n − ⌊nx⌋ − α − v) / n.
            var up = nxFloor + v + alpha;
            var down = n - nxFloor - v - alpha;
            var term = logBinomial + (v - 1) * (Math.Log(up) - logN) + (n - v) * (Math.Log(down) - logN);
            if (term > max)
            {
                sum = sum * Math.Exp(max - term) + 1.0;
                max = term;
            }
            else
                sum += Math.Exp(term - max);
            logBinomial += Math.Log((double)(n - v) / (v + 1));
        }
        return Clip(x * Math.Exp(max + Math.Log(sum)));
    }
}
