//! Matching by meaning: cosine similarity between the question's embedding and each
//! knowledge-base entry's, the best one winning. Also the compact form cached vectors
//! are stored in (components × 10 000 as integers: a quarter of the JSON size of floats,
//! and far below the error that would move a score across a threshold). Pure.

const SCALE: f32 = 10_000.0;

/// Cosine similarity of `a` and `b` (0 when either is zero or their lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms =
        a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norms == 0.0 {
        0.0
    } else {
        dot / norms
    }
}

/// The best entry for `query` among `vectors`, as (index, cosine).
pub fn best_match(query: &[f32], vectors: &[Vec<f32>]) -> Option<(usize, f32)> {
    let scores: Vec<f32> = vectors.iter().map(|v| cosine(query, v)).collect();
    best_score(&scores)
}

/// Index and value of the highest positive score; ties go to the earlier entry.
pub fn best_score(scores: &[f32]) -> Option<(usize, f32)> {
    scores
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, s)| *s > 0.0 && s.is_finite())
        .fold(None, |best, (i, s)| match best {
            Some((_, b)) if b >= s => best,
            _ => Some((i, s)),
        })
}

/// `v` in the cached integer form.
pub fn quantize(v: &[f32]) -> Vec<i16> {
    v.iter()
        .map(|x| (x.clamp(-1.0, 1.0) * SCALE).round() as i16)
        .collect()
}

/// A cached vector back as floats.
pub fn dequantize(q: &[i16]) -> Vec<f32> {
    q.iter().map(|&x| f32::from(x) / SCALE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_unit_vectors_is_their_dot_product() {
        assert!((cosine(&[1.0, 0.0], &[0.6, 0.8]) - 0.6).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[1.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn the_closest_vector_wins() {
        let kb = vec![vec![1.0, 0.0], vec![0.6, 0.8], vec![0.0, 1.0]];
        let (i, s) = best_match(&[0.0, 1.0], &kb).unwrap();
        assert_eq!(i, 2);
        assert!((s - 1.0).abs() < 1e-6);
    }

    #[test]
    fn nothing_similar_means_no_match() {
        assert_eq!(best_match(&[1.0, 0.0], &[vec![-1.0, 0.0]]), None);
        assert_eq!(best_match(&[1.0, 0.0], &[]), None);
        assert_eq!(best_score(&[0.0, f32::NAN]), None);
    }

    #[test]
    fn ties_go_to_the_first_entry() {
        assert_eq!(best_score(&[0.5, 0.5]), Some((0, 0.5)));
    }

    #[test]
    fn quantizing_keeps_scores_within_a_thousandth() {
        let a: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
            .collect();
        let b: Vec<f32> = (0..384)
            .map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0)
            .collect();
        let exact = cosine(&a, &b);
        let cached = cosine(&dequantize(&quantize(&a)), &b);
        assert!((exact - cached).abs() < 1e-3, "{exact} vs {cached}");
    }
}
