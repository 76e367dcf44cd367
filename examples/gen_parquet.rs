//! Writes the peers' large table as Parquet, for the scale run of `--engine datafusion`
//! (issue #19): `unit` (`U00000000`, ...) and `x01`..`x50`, each
//! `round(50 + 10·(0.5·f + 0.5·h_g + e_k), 4)` with `f`, `h_g`, `e_k` standard normal (a unit
//! factor, a factor of each group of five indicators, noise), as `big_eval.py gen` makes
//! them. The values have four decimals, so they are stored exactly as `DECIMAL(8, 4)` (32-bit
//! integers in the file: half the size of doubles); snappy-compressed row groups of 1M rows,
//! written a batch at a time in bounded memory.
//!
//! ```text
//! cargo run --release --features parquet --example gen_parquet -- /tmp/big_20m.parquet 20000000
//! qindex run ../shared/peers/big_1m.qi --engine datafusion --memory-limit 4G \
//!     --data /tmp/big_20m.parquet -o /tmp/out.csv
//! ```

use arrow_array::{ArrayRef, Decimal128Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

const K: usize = 50;
const PER: usize = 5;
const BATCH: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: gen_parquet FILE [ROWS]")?;
    let rows: usize = args.next().map_or(Ok(20_000_000), |r| r.parse())?;
    let mut fields = vec![Field::new("unit", DataType::Utf8, false)];
    fields
        .extend((1..=K).map(|k| Field::new(format!("x{k:02}"), DataType::Decimal128(8, 4), false)));
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(BATCH))
        .build();
    let file = std::fs::File::create(&path)?;
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20240602);
    let mut normal = move || {
        // Box–Muller: one standard normal from two uniforms.
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let v: f64 = rng.random();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let mut start = 0;
    while start < rows {
        let n = BATCH.min(rows - start);
        let units: Vec<String> = (start..start + n).map(|i| format!("U{i:08}")).collect();
        let mut cols: Vec<Vec<i128>> = (0..K).map(|_| Vec::with_capacity(n)).collect();
        for _ in 0..n {
            let f = normal();
            let mut h = 0.0;
            for (k, col) in cols.iter_mut().enumerate() {
                if k % PER == 0 {
                    h = normal();
                }
                let x = 50.0 + 10.0 * (0.5 * f + 0.5 * h + normal());
                col.push((x * 1e4).round() as i128);
            }
        }
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from(units))];
        arrays.extend(
            cols.into_iter()
                .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
        );
        w.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        start += n;
        eprint!("\r{start} rows");
    }
    w.close()?;
    eprintln!();
    Ok(())
}
