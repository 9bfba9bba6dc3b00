//! Retiring notes refnet no longer keeps (an author below the note threshold, a paper
//! merged into another, a cluster that vanished in a refresh): a note nobody edited since
//! refnet wrote it is removed and forgotten; an edited one is the user's and stays.

use super::naming::Names;
use super::{RenderError, blocking};
use crate::store::Store;
use crate::vault::{NoteKey, Vault};

/// Removes the unedited notes of `keys` (those refnet has a note for) and forgets them;
/// returns the keys whose notes were kept because someone edited them.
pub(super) async fn retire(
    store: &Store,
    vault: &Vault,
    names: &mut Names,
    keys: impl IntoIterator<Item = NoteKey>,
) -> Result<Vec<NoteKey>, RenderError> {
    let made_before: Vec<_> = keys
        .into_iter()
        .filter_map(|key| {
            let row = names.row(&key)?;
            Some((row.path().to_owned(), row.content_hash().map(ToOwned::to_owned), key))
        })
        .collect();
    if made_before.is_empty() {
        return Ok(Vec::new());
    }
    // Reading the notes to compare is file work: off the runtime.
    let verdicts = blocking(vault, move |vault| {
        made_before
            .into_iter()
            .map(|(path, written, key)| (key, vault.remove_if_unchanged(&path, written.as_deref())))
            .collect::<Vec<_>>()
    })
    .await?;
    let (mut retired, mut kept) = (Vec::new(), Vec::new());
    for (key, gone) in verdicts {
        if gone? {
            retired.push(key);
        } else {
            kept.push(key);
        }
    }
    store.forget_notes(&retired).await?;
    names.forget(&retired);
    Ok(kept)
}
