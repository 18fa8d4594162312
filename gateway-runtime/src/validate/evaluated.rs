//! Which members of an object and items of an array a schema has
//! evaluated, for `unevaluatedProperties` and `unevaluatedItems`.
//!
//! Only validators of schemas that use those keywords (and of the schemas
//! they apply in place) carry one; the others never pay for it.

/// A growable bit set; the first 64 bits need no allocation.
#[derive(Debug, Default, Clone)]
struct Bits {
    first: u64,
    more: Vec<u64>,
}

impl Bits {
    fn set(&mut self, i: usize) {
        if i < 64 {
            self.first |= 1 << i;
        } else {
            let word = i / 64 - 1;
            if self.more.len() <= word {
                self.more.resize(word + 1, 0);
            }
            self.more[word] |= 1 << (i % 64);
        }
    }

    fn get(&self, i: usize) -> bool {
        if i < 64 {
            self.first & (1 << i) != 0
        } else {
            self.more
                .get(i / 64 - 1)
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
        }
    }

    fn union(&mut self, other: &Bits) {
        self.first |= other.first;
        if self.more.len() < other.more.len() {
            self.more.resize(other.more.len(), 0);
        }
        for (a, b) in self.more.iter_mut().zip(&other.more) {
            *a |= b;
        }
    }
}

/// The members and items evaluated so far at one instance location.
#[derive(Debug, Default, Clone)]
pub struct Evaluated {
    props: Bits,
    items: Bits,
}

impl Evaluated {
    /// Member `i` (in document order) was evaluated.
    pub fn mark_prop(&mut self, i: usize) {
        self.props.set(i);
    }

    pub fn prop(&self, i: usize) -> bool {
        self.props.get(i)
    }

    pub fn mark_item(&mut self, i: usize) {
        self.items.set(i);
    }

    pub fn item(&self, i: usize) -> bool {
        self.items.get(i)
    }

    /// Items `from..len` were evaluated (by `items`).
    pub fn mark_items_from(&mut self, from: usize, len: usize) {
        for i in from..len {
            self.items.set(i);
        }
    }

    /// Adds what a successful in-place subschema evaluated.
    pub fn merge(&mut self, other: &Evaluated) {
        self.props.union(&other.props);
        self.items.union(&other.items);
    }
}

#[cfg(test)]
mod tests {
    use super::Evaluated;

    #[test]
    fn bits_beyond_the_first_word() {
        let mut a = Evaluated::default();
        a.mark_prop(3);
        a.mark_prop(200);
        let mut b = Evaluated::default();
        b.mark_items_from(60, 70);
        a.merge(&b);
        assert!(a.prop(3) && a.prop(200) && !a.prop(199));
        assert!(a.item(60) && a.item(69) && !a.item(70) && !a.item(59));
    }
}
