"""Image and filesystem sources: TARGET -> (SourceInfo, FileTree)."""
